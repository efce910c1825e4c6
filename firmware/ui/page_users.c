/*
 * Who is driving: picking a user of the device (with their PIN when they set one), adding a new
 * driver, a driver's settings (units, currency, PIN), the day/night theme, and pairing a browser
 * on another machine. Failed PINs and pairing codes make the next attempt wait, longer each
 * time, so that guessing a four-digit PIN takes days rather than seconds.
 */
#include <stdio.h>
#include <string.h>

#include "firmware/ui/internal.h"
#include "platform/clock.h"
#include "platform/hash.h"
#include "storage/entry.h"
#include "storage/users.h"

#define FAIL_WAIT_MS 30000 /* the first wait after UI_PIN_FREE failures; it doubles after each */

int ui_fails_wait(const struct ui_pin_fails *f)
{
    int64_t left = f->until - odo_mono_ms();
    return f->fails >= UI_PIN_FREE && left > 0 ? (int)((left + 999) / 1000) : 0;
}

void ui_fails_count(struct ui_pin_fails *f, bool ok)
{
    int64_t wait = FAIL_WAIT_MS;

    if (ok) {
        f->fails = 0;
        return;
    }
    if (++f->fails < UI_PIN_FREE)
        return;
    for (int i = UI_PIN_FREE; i < f->fails && wait < UI_MAX_WAIT_MS; i++)
        wait *= 2;
    f->until = odo_mono_ms() + (wait < UI_MAX_WAIT_MS ? wait : UI_MAX_WAIT_MS);
}

/* The failure count of user (a slot is reused when all are taken). */
static struct ui_pin_fails *pin_fails(struct odo_ui *ui, const char *user)
{
    struct ui_pin_fails *f = &ui->pin_fails[0];

    for (int i = 0; i < UI_PIN_USERS; i++) {
        if (strcmp(ui->pin_fails[i].user, user) == 0)
            return &ui->pin_fails[i];
        if (ui->pin_fails[i].until < f->until)
            f = &ui->pin_fails[i];
    }
    memset(f, 0, sizeof(*f));
    snprintf(f->user, sizeof(f->user), "%s", user);
    return f;
}

struct user_list {
    struct ui_req *r;
    const char *want; /* odo_users_list: looking for this one */
    bool found;
    int n;
    char only[ODO_USER_MAX + 1];
};

static int user_button(const char *user, void *ctx)
{
    struct user_list *l = ctx;
    bool pin = false;

    (void)!odo_users_has_pin(l->r->ui->store, user, &pin, NULL);
    l->n++;
    if (pin) {
        odo_buf_puts(&l->r->h, "<li><a class=\"button big\" href=\"/who?user=");
        ui_esc(&l->r->h, user);
        odo_buf_puts(&l->r->h, "\">");
        ui_esc(&l->r->h, user);
        odo_buf_puts(&l->r->h, " <small>(PIN)</small></a></li>");
        return 0;
    }
    odo_buf_puts(&l->r->h, "<li><form method=\"post\" action=\"/who\">");
    ui_csrf_field(l->r);
    odo_buf_puts(&l->r->h, "<button type=\"submit\" class=\"big\" name=\"user\" value=\"");
    ui_esc(&l->r->h, user);
    odo_buf_puts(&l->r->h, "\">");
    ui_esc(&l->r->h, user);
    odo_buf_puts(&l->r->h, "</button></form></li>");
    return 0;
}

static void new_driver_form(struct ui_req *r, const char *error)
{
    struct ui_input in = {.name = "user",
                          .label = "Name",
                          .value = ui_field(r, "user"),
                          .error = error,
                          .hint = "letters, digits and . - _ @",
                          .extra = "autocomplete=\"off\""};
    static const char *const systems[] = {"metric", "us", "uk"};

    odo_buf_puts(&r->h,
                 "<h2>New driver</h2><form method=\"post\" action=\"/who/new\" class=\"entry\" "
                 "novalidate>");
    ui_csrf_field(r);
    odo_buf_puts(&r->h, "<div class=\"grid\">");
    ui_input(&r->h, &in);
    odo_buf_puts(&r->h,
                 "<div class=\"field\"><label for=\"f-units\">Units</label><select id=\"f-units\" "
                 "name=\"units\">");
    for (size_t i = 0; i < ODO_ARRAY_LEN(systems); i++)
        odo_buf_printf(&r->h, "<option value=\"%s\">%s</option>", systems[i],
                       i == 0   ? "metric (km, L)"
                       : i == 1 ? "US (mi, gal)"
                                : "UK (mi, L)");
    odo_buf_puts(&r->h, "</select></div></div><div class=\"actions\"><button type=\"submit\" "
                        "class=\"primary\">Add driver</button></div></form>");
}

static void pin_form(struct ui_req *r, const char *user, const char *error)
{
    struct ui_input in = {.name = "pin",
                          .label = "PIN",
                          .type = "password",
                          .error = error,
                          .mode = "numeric",
                          .keypad = true,
                          .extra = "autocomplete=\"off\" autofocus maxlength=\"12\""};

    ui_page_begin(r, "PIN", NULL);
    odo_buf_puts(&r->h, "<form method=\"post\" action=\"/who\" class=\"entry\" novalidate>");
    ui_csrf_field(r);
    odo_buf_puts(&r->h, "<input type=\"hidden\" name=\"user\" value=\"");
    ui_esc(&r->h, user);
    odo_buf_puts(&r->h, "\"><p>PIN of <strong>");
    ui_esc(&r->h, user);
    odo_buf_puts(&r->h, "</strong></p><div class=\"grid\">");
    ui_input(&r->h, &in);
    odo_buf_puts(&r->h,
                 "</div><div class=\"actions\"><button type=\"submit\" class=\"primary\">Sign in"
                 "</button><a class=\"button\" href=\"/who\">Back</a></div>"
                 "<div class=\"keypad\" hidden role=\"group\" aria-label=\"Number pad\">");
    for (int k = 1; k <= 10; k++)
        odo_buf_printf(&r->h, "<button type=\"button\" data-key=\"%d\">%d</button>", k % 10,
                       k % 10);
    odo_buf_puts(&r->h, "<button type=\"button\" data-key=\"back\" aria-label=\"Delete\">&#9003;"
                        "</button><button type=\"submit\" class=\"next\">OK</button></div></form>");
    ui_page_end(r);
}

static void who_page(struct ui_req *r, const char *new_error)
{
    struct user_list l = {r, NULL, false, 0, ""};

    ui_page_begin(r, "Who is driving?", NULL);
    odo_buf_puts(&r->h, "<ul class=\"users\">");
    (void)!odo_users_list(r->ui->store, user_button, &l, NULL);
    odo_buf_puts(&r->h, "</ul>");
    if (!l.n)
        odo_buf_puts(&r->h, "<p>No one uses this head unit yet: add the first driver.</p>");
    if (r->s->user[0]) {
        odo_buf_puts(&r->h, "<form method=\"post\" action=\"/who\">");
        ui_csrf_field(r);
        odo_buf_puts(&r->h, "<button type=\"submit\" name=\"signout\" value=\"1\">Sign out</button>"
                            "</form>");
    }
    new_driver_form(r, new_error);
    ui_page_end(r);
}

static void sign_in(struct ui_req *r, const char *user)
{
    if (!ui_session_renew(r)) {
        ui_fail(r, 500, "No randomness for a new session: try again.");
        return;
    }
    snprintf(r->s->user, sizeof(r->s->user), "%s", user);
    r->s->vehicle[0] = '\0';
    ui_redirect(r, "/", NULL);
}

static int count_user(const char *user, void *ctx)
{
    struct user_list *l = ctx;
    bool pin = false;

    (void)!odo_users_has_pin(l->r->ui->store, user, &pin, NULL);
    snprintf(l->only, sizeof(l->only), "%s", l->n++ || pin ? "" : user);
    return 0;
}

void ui_page_who(struct ui_req *r, const char *rest)
{
    const char *user = ui_given(r, "user");
    struct user_list l = {r, NULL, false, 0, ""};

    (void)rest;
    if (user && odo_user_check(user, NULL) == 0) {
        pin_form(r, user, NULL);
        return;
    }
    /* A head unit with one driver and no PIN needs no picking (unless they just signed out). */
    if (!r->s->user[0] && !ui_given(r, "out") &&
        odo_users_list(r->ui->store, count_user, &l, NULL) == 0 && l.n == 1 && l.only[0]) {
        sign_in(r, l.only);
        return;
    }
    who_page(r, NULL);
}

static int find_user(const char *user, void *ctx)
{
    struct user_list *l = ctx;
    if (strcmp(user, l->want) == 0)
        l->found = true;
    return l->found;
}

void ui_page_who_pick(struct ui_req *r, const char *rest)
{
    const char *user = ui_given(r, "user"), *pin = ui_field(r, "pin");
    struct user_list l = {r, user, false, 0, ""};
    struct ui_pin_fails *f;
    char msg[80];
    bool ok = false;
    int wait;

    (void)rest;
    if (ui_given(r, "signout")) {
        r->s->user[0] = r->s->vehicle[0] = '\0';
        ui_redirect(r, "/who?out=1", NULL);
        return;
    }
    if (!user || odo_user_check(user, NULL) != 0 ||
        odo_users_list(r->ui->store, find_user, &l, NULL) != 0 || !l.found) {
        ui_fail(r, 404, "There is no such driver on this head unit.");
        return;
    }
    f = pin_fails(r->ui, user);
    if ((wait = ui_fails_wait(f))) {
        snprintf(msg, sizeof(msg), "too many wrong PINs: try again in %d s", wait);
        r->status = 429;
        pin_form(r, user, msg);
        return;
    }
    if (odo_users_pin_check(r->ui->store, user, pin ? pin : "", &ok, NULL) != 0 || !ok) {
        ui_fails_count(f, false);
        r->status = 422;
        pin_form(r, user, "wrong PIN");
        return;
    }
    ui_fails_count(f, true);
    sign_in(r, user);
}

void ui_page_who_new(struct ui_req *r, const char *rest)
{
    const char *user = ui_field(r, "user");
    struct user_list l = {r, user, false, 0, ""};
    enum odo_unit_system sys = ODO_UNITS_METRIC;
    struct odo_settings set;
    struct odo_err err;

    (void)rest;
    if (!user || odo_user_check(user, &err) != 0) {
        r->status = 422;
        who_page(r, user ? err.msg : "give a name");
        return;
    }
    if (odo_users_list(r->ui->store, find_user, &l, &err) == 0 && l.found) {
        r->status = 422;
        who_page(r, "this driver is already on this head unit: pick them above");
        return;
    }
    if (ui_given(r, "units") && odo_unit_system_parse(ui_given(r, "units"), &sys, &err) != 0) {
        r->status = 422;
        who_page(r, err.msg);
        return;
    }
    odo_settings_default(sys, &set);
    if (odo_settings_save(r->ui->store, user, &set, &err) != 0) {
        ui_fail(r, 500, err.msg);
        return;
    }
    sign_in(r, user);
}

static void settings_page(struct ui_req *r, const char *unit_error, const char *pin_error)
{
    static const char *const systems[] = {"metric", "us", "uk"};
    struct odo_settings set;
    struct ui_input in;
    bool has = false;

    ui_settings(r, &set);
    (void)!odo_users_has_pin(r->ui->store, r->s->user, &has, NULL);
    ui_page_begin(r, "Settings", NULL);
    odo_buf_puts(&r->h, "<form method=\"post\" action=\"/settings\" class=\"entry\" novalidate>");
    ui_csrf_field(r);
    odo_buf_puts(&r->h,
                 "<div class=\"grid\"><div class=\"field\"><label for=\"f-units\">Units</label>"
                 "<select id=\"f-units\" name=\"units\">");
    for (size_t i = 0; i < ODO_ARRAY_LEN(systems); i++)
        odo_buf_printf(&r->h, "<option value=\"%s\"%s>%s</option>", systems[i],
                       set.units.system == (enum odo_unit_system)i ? " selected" : "", systems[i]);
    odo_buf_puts(&r->h, "</select></div>");
    in = (struct ui_input){.name = "currency",
                           .label = "Currency",
                           .value = r->post && unit_error ? ui_field(r, "currency") : set.currency,
                           .error = unit_error,
                           .extra = "maxlength=\"3\" autocomplete=\"off\""};
    ui_input(&r->h, &in);
    odo_buf_puts(&r->h,
                 "</div><div class=\"actions\"><button type=\"submit\" class=\"primary\">Save"
                 "</button></div></form><h2>PIN</h2><form method=\"post\" "
                 "action=\"/settings/pin\" class=\"entry\" novalidate>");
    ui_csrf_field(r);
    odo_buf_puts(&r->h, "<div class=\"grid\">");
    in = (struct ui_input){.name = "pin",
                           .label = has ? "New PIN" : "PIN",
                           .type = "password",
                           .error = pin_error,
                           .mode = "numeric",
                           .hint = "4 to 12 digits; empty: no PIN",
                           .extra = "autocomplete=\"new-password\" maxlength=\"12\""};
    ui_input(&r->h, &in);
    odo_buf_puts(&r->h, "</div><div class=\"actions\"><button type=\"submit\" class=\"primary\">");
    odo_buf_puts(&r->h,
                 has ? "Change PIN</button><button type=\"submit\" name=\"remove\" value=\"1\">"
                       "Remove PIN</button>"
                     : "Set PIN</button>");
    odo_buf_puts(&r->h, "</div></form>");
    ui_page_end(r);
}

void ui_page_settings(struct ui_req *r, const char *rest)
{
    struct odo_settings set;
    enum odo_unit_system sys;
    struct odo_err err;
    char currency[4];

    (void)rest;
    if (!r->post) {
        settings_page(r, NULL, NULL);
        return;
    }
    /* As `odolog init --units U --currency C`: a unit system resets its parts, then the
     * currency. */
    if (odo_unit_system_parse(ui_field(r, "units") ? ui_field(r, "units") : "", &sys, &err) != 0 ||
        odo_entry_copy(currency, sizeof(currency),
                       ui_field(r, "currency") ? ui_field(r, "currency") : "", "the currency",
                       &err) != 0 ||
        odo_currency_check(currency, &err) != 0) {
        r->status = 422;
        settings_page(r, err.msg, NULL);
        return;
    }
    odo_settings_default(sys, &set);
    if (currency[0])
        memcpy(set.currency, currency, sizeof(set.currency));
    if (odo_settings_save(r->ui->store, r->s->user, &set, &err) != 0) {
        ui_fail(r, 500, err.msg);
        return;
    }
    ui_redirect(r, "/settings", "Settings saved.");
}

void ui_page_settings_pin(struct ui_req *r, const char *rest)
{
    const char *pin = ui_given(r, "remove") ? NULL : ui_field(r, "pin");
    struct odo_err err;

    (void)rest;
    if (!ui_given(r, "remove") && !(pin && *pin)) {
        r->status = 422;
        settings_page(r, NULL, "give the new PIN, or remove it");
        return;
    }
    if (odo_users_pin_set(r->ui->store, r->s->user, pin, &err) != 0) {
        r->status = 422;
        settings_page(r, NULL, err.msg);
        return;
    }
    ui_redirect(r, "/settings", pin ? "PIN set." : "PIN removed.");
}

void ui_page_theme(struct ui_req *r, const char *rest)
{
    const char *theme = ui_field(r, "theme"), *back = ui_field(r, "back");

    (void)rest;
    if (theme && (strcmp(theme, "night") == 0 || strcmp(theme, "day") == 0))
        snprintf(r->cookie, sizeof(r->cookie),
                 "theme=%s; Path=/; Max-Age=31536000; SameSite=Strict", theme);
    /* Back to where the button was: a path of this site, nothing that could leave it or end a
     * header line. */
    ui_redirect(r,
                back && back[0] == '/' && back[1] != '/' &&
                        strspn(back, "abcdefghijklmnopqrstuvwxyz0123456789/-_?=&.") == strlen(back)
                    ? back
                    : "/",
                NULL);
}

void ui_page_pair(struct ui_req *r, const char *rest)
{
    char want[ODO_SHA256_HEX_LEN + 1], got[ODO_SHA256_HEX_LEN + 1], msg[80];
    const char *code = ui_field(r, "code"), *error = NULL;
    struct ui_input in;
    int wait;

    (void)rest;
    if (r->post && r->ui->opt.pairing_code) {
        if ((wait = ui_fails_wait(&r->ui->pair_fails))) {
            snprintf(msg, sizeof(msg), "too many wrong codes: try again in %d s", wait);
            error = msg;
            r->status = 429;
        } else {
            /* Compared as digests: equal lengths, and no timing clue about the code. */
            odo_sha256_hex(r->ui->opt.pairing_code, strlen(r->ui->opt.pairing_code), want);
            odo_sha256_hex(code ? code : "", code ? strlen(code) : 0, got);
            ui_fails_count(&r->ui->pair_fails, odo_equal_ct(want, got, sizeof(want)));
            if (r->ui->pair_fails.fails == 0 && ui_session_renew(r)) {
                r->s->paired = true;
                ui_redirect(r, "/", NULL);
                return;
            }
            error = "wrong pairing code";
            r->status = 422;
        }
    }
    ui_page_begin(r, "Pair this screen", NULL);
    odo_buf_puts(&r->h, "<p>This head unit is reached from another machine. Enter the pairing code "
                        "from its configuration once on this screen.</p><form method=\"post\" "
                        "action=\"/pair\" class=\"entry\" novalidate>");
    ui_csrf_field(r);
    in = (struct ui_input){.name = "code",
                           .label = "Pairing code",
                           .type = "password",
                           .error = error,
                           .extra = "autocomplete=\"off\" autofocus"};
    odo_buf_puts(&r->h, "<div class=\"grid\">");
    ui_input(&r->h, &in);
    odo_buf_puts(&r->h,
                 "</div><div class=\"actions\"><button type=\"submit\" class=\"primary\">Pair"
                 "</button></div></form>");
    ui_page_end(r);
}
