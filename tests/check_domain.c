/*
 * check_domain.c - the domain requests of xsdbd over its socket, with no
 * Xen (--xen=none): GET_DOMAIN_PATH, IS_DOMAIN_INTRODUCED, GET_FEATURE,
 * SET_FEATURE, and the argument checks of INTRODUCE, RELEASE, RESUME and
 * SET_TARGET, each answer as Xen's C xenstored 4.17 gives it (probed on
 * the reference daemon), or as later Xen documents the feature requests.
 * The domain lifecycle with guests is in check_domain_sim.c.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon-fixture.h"

static struct fixture	 fx;
static int		 fd = -1;

static void	 setup(void);
static void	 teardown(void);
static void	 expect(int, uint32_t, uint32_t, const void *, uint32_t,
		    const char *);
static void	 expect_err(int, uint32_t, const void *, uint32_t,
		    const char *);
static void	 expect_err_tx(int, uint32_t, uint32_t, const void *,
		    uint32_t, const char *);

/* A daemon without Xen and one connection. */
static void
setup(void)
{
	fd = fixture_serve(&fx, NULL);
}

/* Stop the daemon. */
static void
teardown(void)
{
	fixture_done(&fx, &fd);
}

/* A request of type answering its own type with the string want. */
static void
expect(int s, uint32_t type, uint32_t tx, const void *p, uint32_t len,
    const char *want)
{
	uint32_t	 rt, rl;
	const char	*r;

	r = fixture_req(s, type, tx, p, len, &rt, &rl);
	ck_assert_msg(rt == type && rl == strlen(want) + 1 &&
	    memcmp(r, want, rl) == 0,
	    "type %u: wanted \"%s\", got type %u \"%s\" (%u bytes)",
	    (unsigned)type, want, rt, r, rl);
}

/* A request answering ERROR name. */
static void
expect_err(int s, uint32_t type, const void *p, uint32_t len,
    const char *name)
{
	fixture_expect_error(s, type, 0, p, len, name);
}

/* A request with a tx id answering ERROR name. */
static void
expect_err_tx(int s, uint32_t type, uint32_t tx, const void *p,
    uint32_t len, const char *name)
{
	fixture_expect_error(s, type, tx, p, len, name);
}

#define S(lit)	(lit), (uint32_t)(sizeof(lit) - 1)

START_TEST(test_get_domain_path)
{
	expect(fd, XS_GET_DOMAIN_PATH, 0, S("0\0"), "/local/domain/0");
	expect(fd, XS_GET_DOMAIN_PATH, 0, S("5\0"), "/local/domain/5");
	expect(fd, XS_GET_DOMAIN_PATH, 0, S("32767\0"),
	    "/local/domain/32767");
	expect(fd, XS_GET_DOMAIN_PATH, 0, S("70000\0"),
	    "/local/domain/70000");
	/* Read as atoi reads it. */
	expect(fd, XS_GET_DOMAIN_PATH, 0, S("\0"), "/local/domain/0");
	expect(fd, XS_GET_DOMAIN_PATH, 0, S("abc\0"), "/local/domain/0");
	expect(fd, XS_GET_DOMAIN_PATH, 0, S("5x\0"), "/local/domain/5");
	expect(fd, XS_GET_DOMAIN_PATH, 0, S(" 5\0"), "/local/domain/5");
	expect(fd, XS_GET_DOMAIN_PATH, 0, S("-1\0"),
	    "/local/domain/4294967295");
	expect(fd, XS_GET_DOMAIN_PATH, 0, S("4294967295\0"),
	    "/local/domain/4294967295");
	expect(fd, XS_GET_DOMAIN_PATH, 0, S("99999999999\0"),
	    "/local/domain/1215752191");
}
END_TEST

START_TEST(test_is_domain_introduced)
{
	expect(fd, XS_IS_DOMAIN_INTRODUCED, 0, S("0\0"), "T");
	expect(fd, XS_IS_DOMAIN_INTRODUCED, 0, S("abc\0"), "T");
	expect(fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "F");
	/* DOMID_SELF is always there. */
	expect(fd, XS_IS_DOMAIN_INTRODUCED, 0, S("32752\0"), "T");
	expect(fd, XS_IS_DOMAIN_INTRODUCED, 0, S("32753\0"), "F");
}
END_TEST

START_TEST(test_features)
{
	char	want[16];

	snprintf(want, sizeof want, "%u", XS_FEATURE_RECONNECTION |
	    XS_FEATURE_ERROR | XS_FEATURE_WATCH_DEPTH | XS_FEATURE_DOMID_ANY);
	/* A socket is offered everything; so is dom0. */
	expect(fd, XS_GET_FEATURE, 0, "", 0, want);
	expect(fd, XS_GET_FEATURE, 0, S("0\0"), want);
	/* dom0 is introduced for good. */
	expect_err(fd, XS_SET_FEATURE, S("0\0" "1\0"), "EBUSY");
	/* Without Xen no other domain exists. */
	expect_err(fd, XS_GET_FEATURE, S("5\0"), "ENOENT");
	expect_err(fd, XS_SET_FEATURE, S("5\0" "1\0"), "ENOENT");
}
END_TEST

START_TEST(test_no_domain)
{
	/* Nothing is introduced: ENOENT for every domain but dom0. */
	expect_err(fd, XS_RELEASE, S("5\0"), "ENOENT");
	expect_err(fd, XS_RESUME, S("5\0"), "ENOENT");
	expect_err(fd, XS_SET_TARGET, S("5\0" "6\0"), "ENOENT");
	expect_err(fd, XS_SET_TARGET, S("0\0" "5\0"), "ENOENT");
	expect_err(fd, XS_SET_TARGET, S("5\0" "0\0"), "ENOENT");
	expect(fd, XS_SET_TARGET, 0, S("0\0" "0\0"), "OK");
	/* dom0 is served already. */
	expect(fd, XS_INTRODUCE, 0, S("0\0" "1\0" "1\0"), "OK");
	expect(fd, XS_INTRODUCE, 0, S("abc\0" "1\0" "1\0"), "OK");
	/* Without Xen no ring can be mapped. */
	expect_err(fd, XS_INTRODUCE, S("5\0" "1\0" "1\0"), "EINVAL");
	expect(fd, XS_IS_DOMAIN_INTRODUCED, 0, S("5\0"), "F");
}
END_TEST

START_TEST(test_arguments)
{
	/* One string, ending the payload. */
	expect_err(fd, XS_GET_DOMAIN_PATH, "", 0, "EINVAL");
	expect_err(fd, XS_GET_DOMAIN_PATH, S("5\0" "6\0"), "EINVAL");
	expect_err(fd, XS_GET_DOMAIN_PATH, S("5"), "EINVAL");
	expect_err(fd, XS_IS_DOMAIN_INTRODUCED, "", 0, "EINVAL");
	expect_err(fd, XS_IS_DOMAIN_INTRODUCED, S("0\0" "1\0"), "EINVAL");
	expect_err(fd, XS_RELEASE, "", 0, "EINVAL");
	expect_err(fd, XS_RELEASE, S("5\0" "5\0"), "EINVAL");
	expect_err(fd, XS_RESUME, "", 0, "EINVAL");
	/* RELEASE and RESUME of domain 0, or of what atoi reads as 0. */
	expect_err(fd, XS_RELEASE, S("0\0"), "EINVAL");
	expect_err(fd, XS_RELEASE, S("abc\0"), "EINVAL");
	expect_err(fd, XS_RESUME, S("0\0"), "EINVAL");
	expect_err(fd, XS_RESUME, S("abc\0"), "EINVAL");
	/* SET_TARGET needs two strings, INTRODUCE three. */
	expect_err(fd, XS_SET_TARGET, "", 0, "EINVAL");
	expect_err(fd, XS_SET_TARGET, S("5\0"), "EINVAL");
	expect_err(fd, XS_INTRODUCE, "", 0, "EINVAL");
	expect_err(fd, XS_INTRODUCE, S("5\0" "1\0"), "EINVAL");
	/* The port: 0, or what atoi reads as 0, is EINVAL. */
	expect_err(fd, XS_INTRODUCE, S("5\0" "1\0" "0\0"), "EINVAL");
	expect_err(fd, XS_INTRODUCE, S("5\0" "1\0" "abc\0"), "EINVAL");
	/* A domid no domain can have. */
	expect_err(fd, XS_INTRODUCE, S("40000\0" "1\0" "1\0"), "EINVAL");
}
END_TEST

START_TEST(test_feature_arguments)
{
	/* GET_FEATURE: at most one domid, read strictly. */
	expect_err(fd, XS_GET_FEATURE, S("0\0" "1\0"), "EINVAL");
	expect_err(fd, XS_GET_FEATURE, S("5x\0"), "EINVAL");
	expect_err(fd, XS_GET_FEATURE, S("65536\0"), "EINVAL");
	expect_err(fd, XS_GET_FEATURE, S("-1\0"), "EINVAL");
	/* SET_FEATURE: exactly two strings. */
	expect_err(fd, XS_SET_FEATURE, "", 0, "EINVAL");
	expect_err(fd, XS_SET_FEATURE, S("5\0"), "EINVAL");
	expect_err(fd, XS_SET_FEATURE, S("5\0" "1\0" "2\0"), "EINVAL");
	expect_err(fd, XS_SET_FEATURE, S("abc\0" "1\0"), "EINVAL");
}
END_TEST

START_TEST(test_tx_ids)
{
	/* A tx id that names no transaction is ENOENT, here too. */
	expect_err_tx(fd, XS_INTRODUCE, 77, S("5\0" "1\0" "1\0"), "ENOENT");
	expect_err_tx(fd, XS_RELEASE, 77, S("5\0"), "ENOENT");
	expect_err_tx(fd, XS_GET_DOMAIN_PATH, 77, S("5\0"), "ENOENT");
	expect_err_tx(fd, XS_IS_DOMAIN_INTRODUCED, 77, S("5\0"), "ENOENT");
}
END_TEST

static Suite *
domain_suite(void)
{
	Suite	*s = suite_create("domain");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_get_domain_path);
	tcase_add_test(tc, test_is_domain_introduced);
	tcase_add_test(tc, test_features);
	tcase_add_test(tc, test_no_domain);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_arguments);
	tcase_add_test(tc, test_feature_arguments);
	tcase_add_test(tc, test_tx_ids);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_main(domain_suite());
}
