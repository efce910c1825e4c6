/*
 * Barcodes in photos of VIN labels: Code 39, Code 128 and QR (zbar) and Data Matrix (libdmtx),
 * in PNG, JPEG or PGM images. Linear codes photographed at an angle are found by trying the
 * image turned in steps when the straight scan finds nothing; 2D codes are found at any angle.
 */
#ifndef ODO_SCAN_BARCODE_H
#define ODO_SCAN_BARCODE_H

#include <stddef.h>

#include "platform/error.h"

#define ODO_BARCODES_MAX 8

struct odo_barcode {
    char symbology[16]; /* "CODE-39", "CODE-128", "QR-Code", "DataMatrix" */
    char text[256];     /* what it holds (printable ASCII; other bytes dropped) */
};

/* A grey image, one byte per pixel, rows top to bottom. */
struct odo_gray_image {
    int width, height;
    unsigned char *pixels;
};

/* Loads a PNG, JPEG or binary PGM file as grey. ODO_EINVAL with a sentence for anything else
 * (or an image over 40 megapixels); ODO_EIO when it cannot be read. */
int odo_image_load(const char *path, struct odo_gray_image *out,
                   struct odo_err *err) ODO_MUST_CHECK;
void odo_image_free(struct odo_gray_image *img);

/*
 * Finds the barcodes in img: up to ODO_BARCODES_MAX into out, *count how many (distinct
 * texts only). The search goes on (the image turned, then Data Matrix) until a code of at least
 * min_len characters is found: a partial read of a damaged code does not end it. Returns 0
 * (also when none were found), or ODO_ENOMEM.
 */
int odo_barcodes_find(const struct odo_gray_image *img, size_t min_len, struct odo_barcode *out,
                      int *count, struct odo_err *err) ODO_MUST_CHECK;

#endif
