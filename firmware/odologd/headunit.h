/*
 * The touch UI's thread in odologd. The UI (firmware/ui) runs in a thread of its own with its own
 * connection to the database, so a page never waits on a sync round trip in the main loop, and
 * the main loop never waits on a page. When the UI shows the scans, the scanner is read in this
 * thread too, so a scan appears at once even while a sync is in flight.
 */
#ifndef ODO_ODOLOGD_HEADUNIT_H
#define ODO_ODOLOGD_HEADUNIT_H

#include <stdbool.h>
#include <stdint.h>

#include "firmware/odologd/scanport.h"
#include "firmware/ui/ui.h"

struct headunit;

/*
 * Opens the UI with opt (borrowed, as odo_ui_open says) and starts its thread, which from then
 * on owns port (may be NULL: no scanner) and feeds its scans to the UI. Returns 0, or the UI's
 * error (a sentence in err), or ODO_ENOMEM when the thread cannot start.
 */
int headunit_start(const struct odo_ui_options *opt, struct scanport *port, struct headunit **out,
                   struct odo_err *err) ODO_MUST_CHECK;

/* Whether the UI's loop went round within the last max_ms (it does at least once a second):
 * the watchdog is fed only while it does. */
bool headunit_alive(const struct headunit *h, int64_t max_ms);

/* Where the UI answers, as odo_ui_address says. */
void headunit_address(const struct headunit *h, char *out, size_t cap);

/* Stops the thread, closes the UI and the scanner it owned. NULL is fine. */
void headunit_stop(struct headunit *h);

#endif
