/*
 * Barcodes in images: loading (libpng, libjpeg, PGM), zbar for the linear codes and QR,
 * libdmtx for Data Matrix, and turning the image for linear codes taken at an angle.
 */
#define _GNU_SOURCE
#include "firmware/scan/barcode.h"

#include <dlfcn.h>
#include <dmtx.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

#include <jpeglib.h> /* after stdio.h, which it needs */

#define PIXELS_MAX      (40L * 1000 * 1000)
#define DMTX_TIMEOUT_MS 1500

void odo_image_free(struct odo_gray_image *img)
{
    free(img->pixels);
    img->pixels = NULL;
}

static int alloc_pixels(struct odo_gray_image *img, long w, long h, const char *path,
                        struct odo_err *err)
{
    if (w <= 0 || h <= 0 || w * h > PIXELS_MAX)
        return odo_err_set(err, ODO_EINVAL, "%s: an image of %ldx%ld pixels is refused", path, w,
                           h);
    img->width = (int)w;
    img->height = (int)h;
    img->pixels = malloc((size_t)(w * h));
    return img->pixels ? 0 : odo_err_set(err, ODO_ENOMEM, "out of memory");
}

static int load_png(const char *path, struct odo_gray_image *img, struct odo_err *err)
{
    png_image png;
    int rc;

    memset(&png, 0, sizeof(png));
    png.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&png, path))
        return odo_err_set(err, ODO_EINVAL, "%s: not a readable PNG (%s)", path, png.message);
    png.format = PNG_FORMAT_GRAY;
    if ((rc = alloc_pixels(img, (long)png.width, (long)png.height, path, err))) {
        png_image_free(&png);
        return rc;
    }
    /* Transparent parts composed over white, as a label is printed. */
    png_color white = {255, 255, 255};
    if (!png_image_finish_read(&png, &white, img->pixels, 0, NULL)) {
        odo_image_free(img);
        return odo_err_set(err, ODO_EINVAL, "%s: a damaged PNG (%s)", path, png.message);
    }
    return 0;
}

struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void jpeg_failed(j_common_ptr cinfo)
{
    struct jpeg_fail *f = (struct jpeg_fail *)cinfo->err;
    cinfo->err->format_message(cinfo, f->message);
    longjmp(f->jump, 1);
}

static int load_jpeg(const char *path, FILE *fp, struct odo_gray_image *img, struct odo_err *err)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_fail fail;
    int rc = 0;

    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&fail.mgr);
    fail.mgr.error_exit = jpeg_failed;
    fail.message[0] = '\0';
    if (setjmp(fail.jump)) {
        jpeg_destroy_decompress(&cinfo);
        odo_image_free(img);
        return odo_err_set(err, ODO_EINVAL, "%s: a damaged JPEG (%s)", path, fail.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, fp);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&cinfo);
    if ((rc = alloc_pixels(img, (long)cinfo.output_width, (long)cinfo.output_height, path, err))) {
        jpeg_destroy_decompress(&cinfo);
        return rc;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = img->pixels + (size_t)cinfo.output_scanline * (size_t)img->width;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

/* Binary PGM (P5, 8 bits), the simplest grey format. */
static int load_pgm(const char *path, FILE *fp, struct odo_gray_image *img, struct odo_err *err)
{
    long w, h, maxval;
    int rc;

    if (fscanf(fp, "P5 %ld %ld %ld", &w, &h, &maxval) != 3 || maxval != 255 || fgetc(fp) == EOF)
        return odo_err_set(err, ODO_EINVAL, "%s: only 8-bit binary PGM is read", path);
    if ((rc = alloc_pixels(img, w, h, path, err)))
        return rc;
    if (fread(img->pixels, 1, (size_t)(w * h), fp) != (size_t)(w * h)) {
        odo_image_free(img);
        return odo_err_set(err, ODO_EINVAL, "%s: a truncated PGM", path);
    }
    return 0;
}

int odo_image_load(const char *path, struct odo_gray_image *out, struct odo_err *err)
{
    unsigned char magic[8] = {0};
    FILE *fp = fopen(path, "rb");
    int rc;

    memset(out, 0, sizeof(*out));
    if (!fp)
        return odo_err_set(err, ODO_EIO, "cannot read %s: %s", path, strerror(errno));
    size_t n = fread(magic, 1, sizeof(magic), fp);
    rewind(fp);
    if (n >= 8 && memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0) {
        fclose(fp);
        return load_png(path, out, err);
    }
    if (n >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff)
        rc = load_jpeg(path, fp, out, err);
    else if (n >= 2 && magic[0] == 'P' && magic[1] == '5')
        rc = load_pgm(path, fp, out, err);
    else
        rc = odo_err_set(err, ODO_EINVAL, "%s is not a PNG, JPEG or PGM image", path);
    fclose(fp);
    return rc;
}

/* ---- the decoders, loaded when an image is first scanned --------------------------------- */

/*
 * zbar and libdmtx are opened with dlopen on first use rather than linked: zbar brings X11,
 * D-Bus and video4linux with it, megabytes of memory every odolog command (and a sync of
 * 100,000 rows) would otherwise carry for the one that reads images.
 */
/* clang-format off */
#define ZBAR_FUNCS(X)                                                                              \
    X(zbar_get_symbol_name) X(zbar_image_create) X(zbar_image_destroy)                             \
    X(zbar_image_first_symbol) X(zbar_image_scanner_create) X(zbar_image_scanner_destroy)          \
    X(zbar_image_scanner_set_config) X(zbar_image_set_data) X(zbar_image_set_format)               \
    X(zbar_image_set_size) X(zbar_scan_image) X(zbar_symbol_get_data)                              \
    X(zbar_symbol_get_data_length) X(zbar_symbol_get_type) X(zbar_symbol_next)
#define DMTX_FUNCS(X)                                                                              \
    X(dmtxDecodeCreate) X(dmtxDecodeDestroy) X(dmtxDecodeMatrixRegion) X(dmtxImageCreate)          \
    X(dmtxImageDestroy) X(dmtxMessageDestroy) X(dmtxRegionDestroy) X(dmtxRegionFindNext)           \
    X(dmtxTimeAdd) X(dmtxTimeNow)
/* clang-format on */
#define MEMBER(f) __typeof__(f) *f;

static struct {
    bool tried;
    char problem[200];
    void *zbar, *dmtx;
    ZBAR_FUNCS(MEMBER)
    DMTX_FUNCS(MEMBER)
} lib;

static bool load_from(void *handle, const char *name, void **slot)
{
    *slot = handle ? dlsym(handle, name) : NULL;
    return *slot != NULL;
}

static int load_decoders(struct odo_err *err)
{
    if (!lib.tried) {
        bool ok = true;
        lib.tried = true;
        lib.zbar = dlopen("libzbar.so.0", RTLD_NOW | RTLD_LOCAL);
        lib.dmtx = dlopen("libdmtx.so.0", RTLD_NOW | RTLD_LOCAL);
#define LOAD_Z(f) ok &= load_from(lib.zbar, #f, (void **)&lib.f);
#define LOAD_D(f) ok &= load_from(lib.dmtx, #f, (void **)&lib.f);
        ZBAR_FUNCS(LOAD_Z)
        DMTX_FUNCS(LOAD_D)
        if (!ok)
            snprintf(lib.problem, sizeof(lib.problem),
                     "reading barcodes in images needs zbar and libdmtx (Debian: libzbar0 "
                     "libdmtx0b): %s",
                     dlerror() ? "they could not be loaded" : "a function is missing");
    }
    return lib.problem[0] ? odo_err_set(err, ODO_EIO, "%s", lib.problem) : 0;
}

/* ---- finding codes ---------------------------------------------------------------------- */

static void add_code(struct odo_barcode *out, int *count, const char *sym, const char *data,
                     size_t len)
{
    char text[256];
    size_t n = 0;

    for (size_t i = 0; i < len && n + 1 < sizeof(text); i++)
        if (data[i] >= 0x20 && data[i] <= 0x7e)
            text[n++] = data[i];
    text[n] = '\0';
    if (!n || *count >= ODO_BARCODES_MAX)
        return;
    for (int i = 0; i < *count; i++)
        if (strcmp(out[i].text, text) == 0)
            return;
    snprintf(out[*count].symbology, sizeof(out[*count].symbology), "%s", sym);
    memcpy(out[*count].text, text, n + 1);
    (*count)++;
}

/* zbar over one image; returns how many symbols it found. */
static int zbar_pass(zbar_image_scanner_t *scanner, const unsigned char *px, int w, int h,
                     struct odo_barcode *out, int *count)
{
    zbar_image_t *image = lib.zbar_image_create();
    int found;

    lib.zbar_image_set_format(image, zbar_fourcc('Y', '8', '0', '0'));
    lib.zbar_image_set_size(image, (unsigned)w, (unsigned)h);
    lib.zbar_image_set_data(image, px, (unsigned long)w * (unsigned long)h, NULL);
    found = lib.zbar_scan_image(scanner, image);
    for (const zbar_symbol_t *s = lib.zbar_image_first_symbol(image); s;
         s = lib.zbar_symbol_next(s))
        add_code(out, count, lib.zbar_get_symbol_name(lib.zbar_symbol_get_type(s)),
                 lib.zbar_symbol_get_data(s), lib.zbar_symbol_get_data_length(s));
    lib.zbar_image_destroy(image);
    return found > 0 ? found : 0;
}

/* img turned by deg degrees about its centre into a canvas that holds all of it (white). */
static unsigned char *rotate(const struct odo_gray_image *img, double deg, int *ow, int *oh)
{
    double a = deg * M_PI / 180.0, c = cos(a), s = sin(a);
    int w = img->width, h = img->height;
    int nw = (int)ceil(fabs(w * c) + fabs(h * s)), nh = (int)ceil(fabs(w * s) + fabs(h * c));
    unsigned char *out = malloc((size_t)nw * (size_t)nh);

    if (!out)
        return NULL;
    for (int y = 0; y < nh; y++)
        for (int x = 0; x < nw; x++) {
            double dx = x - nw / 2.0, dy = y - nh / 2.0;
            int sx = (int)lround(dx * c + dy * s + w / 2.0);
            int sy = (int)lround(-dx * s + dy * c + h / 2.0);
            out[(size_t)y * (size_t)nw + (size_t)x] =
                sx >= 0 && sx < w && sy >= 0 && sy < h
                    ? img->pixels[(size_t)sy * (size_t)w + (size_t)sx]
                    : 255;
        }
    *ow = nw;
    *oh = nh;
    return out;
}

static void dmtx_pass(const struct odo_gray_image *img, struct odo_barcode *out, int *count)
{
    /* libdmtx is slow on large photos: it looks at a reduced copy. */
    int shrink = 1;
    while ((long)(img->width / shrink) * (img->height / shrink) > 1200L * 1200L)
        shrink *= 2;
    DmtxImage *di = lib.dmtxImageCreate(img->pixels, img->width, img->height, DmtxPack8bppK);
    if (!di)
        return;
    DmtxDecode *dec = lib.dmtxDecodeCreate(di, shrink);
    if (dec) {
        DmtxTime timeout = lib.dmtxTimeAdd(lib.dmtxTimeNow(), DMTX_TIMEOUT_MS);
        DmtxRegion *reg;
        while (*count < ODO_BARCODES_MAX && (reg = lib.dmtxRegionFindNext(dec, &timeout)) != NULL) {
            DmtxMessage *msg = lib.dmtxDecodeMatrixRegion(dec, reg, DmtxUndefined);
            if (msg) {
                add_code(out, count, "DataMatrix", (const char *)msg->output,
                         (size_t)msg->outputIdx);
                lib.dmtxMessageDestroy(&msg);
            }
            lib.dmtxRegionDestroy(&reg);
        }
        lib.dmtxDecodeDestroy(&dec);
    }
    lib.dmtxImageDestroy(&di);
}

/* img inside a white margin: a label cropped to its code edge has no quiet zone left, and
 * neither decoder finds a code that touches the border. */
static int pad(const struct odo_gray_image *img, struct odo_gray_image *out)
{
    int m = (img->width < img->height ? img->width : img->height) / 10;
    if (m < 16)
        m = 16;
    out->width = img->width + 2 * m;
    out->height = img->height + 2 * m;
    out->pixels = malloc((size_t)out->width * (size_t)out->height);
    if (!out->pixels)
        return ODO_ENOMEM;
    memset(out->pixels, 255, (size_t)out->width * (size_t)out->height);
    for (int y = 0; y < img->height; y++)
        memcpy(out->pixels + (size_t)(y + m) * (size_t)out->width + (size_t)m,
               img->pixels + (size_t)y * (size_t)img->width, (size_t)img->width);
    return 0;
}

/* Whether a code of at least min_len characters was found. */
static bool enough(const struct odo_barcode *out, int count, size_t min_len)
{
    for (int i = 0; i < count; i++)
        if (strlen(out[i].text) >= min_len)
            return true;
    return false;
}

int odo_barcodes_find(const struct odo_gray_image *in, size_t min_len, struct odo_barcode *out,
                      int *count, struct odo_err *err)
{
    static const double angles[] = {30, -30, 45, -45, 60, -60, 15, -15, 75, -75};
    struct odo_gray_image padded, *img = &padded;
    zbar_image_scanner_t *scanner;

    *count = 0;
    if (load_decoders(err))
        return ODO_EIO;
    if (pad(in, &padded) != 0)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    if (!(scanner = lib.zbar_image_scanner_create())) {
        odo_image_free(&padded);
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    }
    lib.zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_ENABLE, 0);
    lib.zbar_image_scanner_set_config(scanner, ZBAR_CODE39, ZBAR_CFG_ENABLE, 1);
    lib.zbar_image_scanner_set_config(scanner, ZBAR_CODE128, ZBAR_CFG_ENABLE, 1);
    lib.zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_pass(scanner, img->pixels, img->width, img->height, out, count);
    /* A linear code photographed at an angle: scan lines no longer cross it whole. */
    for (size_t i = 0; i < sizeof(angles) / sizeof(angles[0]) && !enough(out, *count, min_len);
         i++) {
        int w, h;
        unsigned char *turned = rotate(img, angles[i], &w, &h);
        if (!turned) {
            lib.zbar_image_scanner_destroy(scanner);
            odo_image_free(&padded);
            return odo_err_set(err, ODO_ENOMEM, "out of memory");
        }
        zbar_pass(scanner, turned, w, h, out, count);
        free(turned);
    }
    lib.zbar_image_scanner_destroy(scanner);
    if (!enough(out, *count, min_len))
        dmtx_pass(img, out, count);
    odo_image_free(&padded);
    return 0;
}
