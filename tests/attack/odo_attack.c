/*
 * odo_attack: DTLS attack clients for the gateway's abuse tests (tests/integration/
 * test_attack.py), built on libcoap as a device is. Every run sends from the local address
 * given (--src), lasts a bounded time, and prints one JSON line of what happened.
 *
 *   odo_attack flood --port P --src A --seconds S [--parallel N] [--identity ID --key HEX]
 *       DTLS handshakes as fast as the gateway takes them, N at a time, each abandoned after
 *       --give-up ms: with random identities (a handshake flood), or naming one device with a
 *       key that is not its own (a wrong-key flood).
 *   odo_attack blockwise --port P --src A --identity ID --key HEX --megabytes M [--size1]
 *       one POST /v1/sync/push of M MiB, block by block (Block1, 1 KiB), stopping at the first
 *       answer other than 2.31 Continue; --size1 announces the size up front.
 */
#include <arpa/inet.h>
#include <coap3/coap.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARALLEL 512
#define BLOCK_SZX    6 /* 1 KiB blocks: 2^(6+4) */
#define BLOCK_SIZE   (1u << (BLOCK_SZX + 4))
#define KEY_MAX      64

struct options {
    const char *mode, *src, *identity;
    int port, parallel, give_up_ms;
    double seconds;
    unsigned char key[KEY_MAX];
    size_t key_len;
    long megabytes;
    int size1;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int address(const char *ip, int port, coap_address_t *out)
{
    coap_address_init(out);
    out->addr.sin.sin_family = AF_INET;
    out->addr.sin.sin_port = htons((uint16_t)port);
    out->size = sizeof(out->addr.sin);
    return inet_pton(AF_INET, ip, &out->addr.sin.sin_addr) == 1 ? 0 : -1;
}

static int hex_key(const char *hex, struct options *o)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > KEY_MAX)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        o->key[i] = (unsigned char)v;
    }
    o->key_len = n / 2;
    return 0;
}

/* ---- flood ------------------------------------------------------------------------------ */

struct attempt {
    coap_session_t *session;
    double started;
    char identity[40];
    int over; /* connected or failed: replace it */
};

struct tally {
    long attempts, connected, failed, abandoned;
};

static int on_flood_event(coap_session_t *session, const coap_event_t event)
{
    struct attempt *a = coap_session_get_app_data(session);
    struct tally *t = coap_get_app_data(coap_session_get_context(session));
    if (!a || a->over)
        return 0;
    if (event == COAP_EVENT_DTLS_CONNECTED) {
        t->connected++;
        a->over = 1;
    } else if (event == COAP_EVENT_DTLS_ERROR || event == COAP_EVENT_DTLS_CLOSED) {
        t->failed++;
        a->over = 1;
    }
    return 0;
}

static void random_identity(char out[40])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 36; i++)
        out[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hex[rand() % 16];
    out[14] = '7';
    out[36] = '\0';
}

static int start(coap_context_t *ctx, const struct options *o, const coap_address_t *local,
                 const coap_address_t *server, struct attempt *a)
{
    coap_dtls_cpsk_t psk;
    unsigned char key[KEY_MAX];

    memset(a, 0, sizeof(*a));
    if (o->identity)
        snprintf(a->identity, sizeof(a->identity), "%s", o->identity);
    else
        random_identity(a->identity);
    memset(&psk, 0, sizeof(psk));
    psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
    psk.psk_info.identity.s = (const uint8_t *)a->identity;
    psk.psk_info.identity.length = strlen(a->identity);
    if (o->key_len) {
        psk.psk_info.key.s = o->key;
        psk.psk_info.key.length = o->key_len;
    } else {
        for (size_t i = 0; i < 32; i++)
            key[i] = (unsigned char)rand();
        psk.psk_info.key.s = key;
        psk.psk_info.key.length = 32;
    }
    a->session = coap_new_client_session_psk2(ctx, local, server, COAP_PROTO_DTLS, &psk);
    if (!a->session)
        return -1;
    coap_session_set_app_data(a->session, a);
    a->started = now_s();
    return 0;
}

static void finish(struct tally *t, struct attempt *a)
{
    if (!a->session)
        return;
    if (!a->over)
        t->abandoned++;
    coap_session_set_app_data(a->session, NULL);
    coap_session_release(a->session);
    a->session = NULL;
}

static int flood(const struct options *o)
{
    static struct attempt slots[MAX_PARALLEL];
    struct tally tally = {0, 0, 0, 0};
    coap_address_t local, server;
    coap_context_t *ctx = coap_new_context(NULL);
    double t0 = now_s(), end = t0 + o->seconds, t;

    if (!ctx || address(o->src, 0, &local) || address("127.0.0.1", o->port, &server))
        return 2;
    coap_set_app_data(ctx, &tally);
    coap_register_event_handler(ctx, on_flood_event);
    while ((t = now_s()) < end) {
        for (int i = 0; i < o->parallel; i++) {
            struct attempt *a = &slots[i];
            if (a->session && !a->over && (t - a->started) * 1000 < o->give_up_ms)
                continue;
            finish(&tally, a);
            if (start(ctx, o, &local, &server, a) == 0)
                tally.attempts++;
        }
        coap_io_process(ctx, 5);
    }
    for (int i = 0; i < o->parallel; i++)
        finish(&tally, &slots[i]);
    coap_free_context(ctx);
    t = now_s() - t0;
    printf("{\"attempts\": %ld, \"connected\": %ld, \"failed\": %ld, \"abandoned\": %ld, "
           "\"seconds\": %.2f, \"per_second\": %.0f}\n",
           tally.attempts, tally.connected, tally.failed, tally.abandoned, t,
           (double)tally.attempts / t);
    return 0;
}

/* ---- blockwise -------------------------------------------------------------------------- */

struct answer {
    int code;     /* class * 100 + detail; 0 while waiting */
    size_t size1; /* the Size1 a 4.13 names: the largest body the path takes */
};

static coap_response_t on_answer(coap_session_t *session, const coap_pdu_t *sent,
                                 const coap_pdu_t *received, const coap_mid_t mid)
{
    struct answer *a = coap_get_app_data(coap_session_get_context(session));
    coap_opt_iterator_t it;
    coap_opt_t *opt;
    unsigned code = coap_pdu_get_code(received);

    (void)sent;
    (void)mid;
    a->code = (int)(code >> 5) * 100 + (int)(code & 0x1f);
    opt = coap_check_option(received, COAP_OPTION_SIZE1, &it);
    a->size1 = opt ? coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt)) : 0;
    return COAP_RESPONSE_OK;
}

static int blockwise(const struct options *o)
{
    static uint8_t block[BLOCK_SIZE];
    coap_address_t local, server;
    coap_context_t *ctx = coap_new_context(NULL);
    coap_session_t *session;
    coap_dtls_cpsk_t psk;
    const size_t total = (size_t)o->megabytes << 20;
    const size_t nblocks = (total + BLOCK_SIZE - 1) / BLOCK_SIZE;
    size_t sent = 0, n = 0;
    double t0 = now_s();
    uint8_t buf[8];
    struct answer answer = {0, 0};

    if (!ctx || !o->identity || !o->key_len || address(o->src, 0, &local) ||
        address("127.0.0.1", o->port, &server))
        return 2;
    memset(block, 'x', sizeof(block));
    memset(&psk, 0, sizeof(psk));
    psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
    psk.psk_info.identity.s = (const uint8_t *)o->identity;
    psk.psk_info.identity.length = strlen(o->identity);
    psk.psk_info.key.s = o->key;
    psk.psk_info.key.length = o->key_len;
    coap_set_app_data(ctx, &answer);
    coap_register_response_handler(ctx, on_answer);
    session = coap_new_client_session_psk2(ctx, &local, &server, COAP_PROTO_DTLS, &psk);
    if (!session)
        return 2;
    for (n = 0; n < nblocks; n++) {
        int more = n + 1 < nblocks;
        coap_pdu_t *pdu =
            coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, coap_new_message_id(session),
                          coap_session_max_pdu_size(session));
        double deadline = now_s() + 10;
        coap_add_option(pdu, COAP_OPTION_URI_PATH, 2, (const uint8_t *)"v1");
        coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"sync");
        coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"push");
        coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                        coap_encode_var_safe(buf, sizeof(buf), COAP_MEDIATYPE_APPLICATION_JSON),
                        buf);
        coap_add_option(
            pdu, COAP_OPTION_BLOCK1,
            coap_encode_var_safe(buf, sizeof(buf),
                                 ((unsigned)n << 4) | ((unsigned)more << 3) | BLOCK_SZX),
            buf);
        if (o->size1)
            coap_add_option(pdu, COAP_OPTION_SIZE1,
                            coap_encode_var_safe(buf, sizeof(buf), (unsigned)total), buf);
        coap_add_data(pdu, BLOCK_SIZE, block);
        answer.code = 0;
        if (coap_send(session, pdu) == COAP_INVALID_MID)
            break;
        sent += BLOCK_SIZE;
        while (!answer.code && now_s() < deadline)
            coap_io_process(ctx, 50);
        if (answer.code != 231)
            break;
    }
    printf("{\"blocks_sent\": %zu, \"bytes_sent\": %zu, \"refused_at_block\": %zu, "
           "\"code\": %d, \"size1\": %zu, \"seconds\": %.2f}\n",
           n + (n < nblocks), sent, n, answer.code, answer.size1, now_s() - t0);
    coap_session_release(session);
    coap_free_context(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},      {"src", required_argument, NULL, 's'},
        {"seconds", required_argument, NULL, 't'},   {"parallel", required_argument, NULL, 'n'},
        {"identity", required_argument, NULL, 'i'},  {"key", required_argument, NULL, 'k'},
        {"megabytes", required_argument, NULL, 'm'}, {"size1", no_argument, NULL, '1'},
        {"give-up", required_argument, NULL, 'g'},   {NULL, 0, NULL, 0}};
    struct options o = {NULL, "127.0.0.2", NULL, 0, 32, 150, 5.0, {0}, 0, 100, 0};
    int ch;

    if (argc < 2) {
        fprintf(stderr, "usage: odo_attack flood|blockwise --port P [options]\n");
        return 2;
    }
    o.mode = argv[1];
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            o.port = atoi(optarg);
            break;
        case 's':
            o.src = optarg;
            break;
        case 't':
            o.seconds = atof(optarg);
            break;
        case 'n':
            o.parallel = atoi(optarg);
            break;
        case 'i':
            o.identity = optarg;
            break;
        case 'k':
            if (hex_key(optarg, &o)) {
                fprintf(stderr, "odo_attack: --key takes hex digits\n");
                return 2;
            }
            break;
        case 'm':
            o.megabytes = atol(optarg);
            break;
        case '1':
            o.size1 = 1;
            break;
        case 'g':
            o.give_up_ms = atoi(optarg);
            break;
        default:
            return 2;
        }
    }
    if (o.port <= 0 || o.parallel < 1 || o.parallel > MAX_PARALLEL || o.seconds > 120 ||
        o.megabytes < 1 || o.megabytes > 1024) {
        fprintf(stderr, "odo_attack: bad options\n");
        return 2;
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    coap_startup();
    coap_set_log_level(LOG_EMERG);
    coap_dtls_set_log_level(LOG_EMERG);
    if (strcmp(o.mode, "flood") == 0)
        return flood(&o);
    if (strcmp(o.mode, "blockwise") == 0)
        return blockwise(&o);
    fprintf(stderr, "odo_attack: unknown mode '%s'\n", o.mode);
    return 2;
}
