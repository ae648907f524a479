/*
 * check_path.c - tests of lib/path.c: validation, relative paths, the
 * quota length and the helpers on absolute paths.
 *
 * The length rules were measured against C xenstored 4.17 over a dom0
 * socket (see the comment at the top of lib/path.c); each measured fact
 * has a test here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "xs.h"

static char	*make_path(const char *, size_t);
static Suite	*path_suite(void);

/*
 * A valid path of exactly len bytes that starts with prefix (which ends
 * in '/' or is empty for a relative path): components of up to 200 'a's.
 */
static char *
make_path(const char *prefix, size_t len)
{
	char	*p;
	size_t	 n, k;

	p = malloc(len + 1);
	ck_assert_ptr_nonnull(p);
	n = strlen(prefix);
	ck_assert_uint_le(n, len);
	memcpy(p, prefix, n);
	while (n < len) {
		if (n > 0 && p[n - 1] != '/') {
			p[n++] = '/';
			continue;
		}
		k = len - n < 200 ? len - n : 200;
		if (len - n - k == 1)
			k--;
		memset(p + n, 'a', k);
		n += k;
	}
	p[n] = '\0';
	ck_assert_uint_eq(strlen(p), len);
	return (p);
}

/* Paths the reference accepts. */
START_TEST(test_check_valid)
{
	static const char *const ok[] = {
		"/", "/a", "/a/b", "/tool/xenstored", "/a-b_C9", "/@a",
		"/local/domain/0", "/a/@/-/_", "/0", "/-",
	};
	size_t	i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		ck_assert_msg(xs_path_check(ok[i], 0) == 0, "%s", ok[i]);
		ck_assert_msg(xs_path_check(ok[i], XS_PATH_SPECIAL) == 0,
		    "%s", ok[i]);
	}
}
END_TEST

/* Paths the reference answers EINVAL for. */
START_TEST(test_check_invalid)
{
	static const char *const bad[] = {
		"", "//", "/a/", "/a//b", "///", "a", "a/b", "-",
		"/a b", "/a.b", "/a:b", "/a%", "/a~", "/a\x80", "/a\t",
		"/a\n", "/a\\b", "/a+b", "/a*", "/..", "/.",
	};
	size_t	i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(xs_path_check(bad[i], 0) == EINVAL, "%s",
		    bad[i]);
		ck_assert_msg(xs_path_check(bad[i], XS_PATH_SPECIAL) ==
		    EINVAL, "%s", bad[i]);
	}
	ck_assert_int_eq(xs_path_check(NULL, 0), EINVAL);
}
END_TEST

/*
 * Special paths: '@' only with XS_PATH_SPECIAL, and then any bytes, as C
 * xenstored 4.17 answers OK to WATCH "@a b", "@//", "@/", "@\x80".
 */
START_TEST(test_check_special)
{
	static const char *const sp[] = {
		"@introduceDomain", "@releaseDomain", "@releaseDomain/5",
		"@", "@/", "@//", "@a b", "@a.b", "@\x80", "@a//b",
	};
	size_t	i;

	for (i = 0; i < sizeof sp / sizeof sp[0]; i++) {
		ck_assert_msg(xs_path_check(sp[i], 0) == EINVAL, "%s", sp[i]);
		ck_assert_msg(xs_path_check(sp[i], XS_PATH_SPECIAL) == 0,
		    "%s", sp[i]);
	}
}
END_TEST

/* A special path may be 2048 bytes, not 2049 (measured, any -M). */
START_TEST(test_check_special_len)
{
	char	*p;

	p = make_path("", XS_REL_PATH_MAX);
	p[0] = '@';
	ck_assert_int_eq(xs_path_check(p, XS_PATH_SPECIAL), 0);
	free(p);
	p = make_path("", XS_REL_PATH_MAX + 1);
	p[0] = '@';
	ck_assert_int_eq(xs_path_check(p, XS_PATH_SPECIAL), EINVAL);
	free(p);
}
END_TEST

/* The protocol bound: 3072 bytes pass xs_path_check, 3073 do not. */
START_TEST(test_check_abs_len)
{
	char	*p;

	p = make_path("/", XS_ABS_PATH_MAX);
	ck_assert_int_eq(xs_path_check(p, 0), 0);
	free(p);
	p = make_path("/", XS_ABS_PATH_MAX + 1);
	ck_assert_int_eq(xs_path_check(p, 0), EINVAL);
	free(p);
	p = make_path("/", 8000);
	ck_assert_int_eq(xs_path_check(p, 0), EINVAL);
	free(p);
}
END_TEST

/* Around LMDB's 511-byte key limit nothing changes for paths. */
START_TEST(test_check_lmdb_key_sizes)
{
	static const size_t	lens[] = { 510, 511, 512, 513 };
	char			*p;
	size_t			 i;

	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		p = make_path("/", lens[i]);
		ck_assert_int_eq(xs_path_check(p, 0), 0);
		ck_assert_int_eq(xs_path_check_quota(p, XS_REL_PATH_MAX), 0);
		free(p);
	}
}
END_TEST

/*
 * The quota length. Measured against C xenstored 4.17 with its default
 * path quota (2048): "/" + 2047 OK, 2049 bytes EINVAL, 3072 and 3073
 * EINVAL; "/local/domain/5/" + 2048 OK (2064 in all), + 2049 EINVAL;
 * "/local/domain/12345/" + 2048 OK; "/local/domain/123456/" + 2047 EINVAL.
 */
START_TEST(test_quota_len)
{
	static const struct {
		const char	*prefix;
		size_t		 rest;	/* bytes after the prefix */
		int		 want;
	} t[] = {
		{ "/", 2047, 0 },
		{ "/", 2048, EINVAL },
		{ "/", 3071, EINVAL },
		{ "/", 3072, EINVAL },
		{ "/local/domain/0/", 2047, 0 },
		{ "/local/domain/0/", 2048, 0 },
		{ "/local/domain/0/", 2049, EINVAL },
		{ "/local/domain/5/", 2048, 0 },
		{ "/local/domain/12345/", 2048, 0 },
		{ "/local/domain/12345/", 2049, EINVAL },
		{ "/local/domain/00000/", 2048, 0 },
		{ "/local/domain/123456/", 2047, EINVAL },
	};
	char	*p;
	size_t	 i, plen;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		plen = strlen(t[i].prefix);
		p = make_path(t[i].prefix, plen + t[i].rest);
		ck_assert_msg(xs_path_check_quota(p, XS_REL_PATH_MAX) ==
		    t[i].want, "%s + %zu", t[i].prefix, t[i].rest);
		free(p);
	}
	/* With -M 100 the reference took 100 bytes and refused 101. */
	p = make_path("/", 100);
	ck_assert_int_eq(xs_path_check_quota(p, 100), 0);
	free(p);
	p = make_path("/", 101);
	ck_assert_int_eq(xs_path_check_quota(p, 100), EINVAL);
	free(p);
	p = make_path("/local/domain/7/", 16 + 101);
	ck_assert_int_eq(xs_path_check_quota(p, 100), EINVAL);
	free(p);
	ck_assert_int_eq(xs_path_check_quota(NULL, 100), EINVAL);
}
END_TEST

/* What is counted: the part after "/local/domain/<up to 5 chars>/". */
START_TEST(test_quota_len_prefix)
{
	ck_assert_uint_eq(xs_path_quota_len("/"), 1);
	ck_assert_uint_eq(xs_path_quota_len("/a/b"), 4);
	ck_assert_uint_eq(xs_path_quota_len("/local/domain/5/ab"), 2);
	ck_assert_uint_eq(xs_path_quota_len("/local/domain/5/"), 0);
	ck_assert_uint_eq(xs_path_quota_len("/local/domain/5"), 15);
	ck_assert_uint_eq(xs_path_quota_len("/local/domain/12345/x"), 1);
	ck_assert_uint_eq(xs_path_quota_len("/local/domain/123456/x"), 22);
	ck_assert_uint_eq(xs_path_quota_len("/local/domain/x/y"), 17);
	ck_assert_uint_eq(xs_path_quota_len("/local/domain//y"), 16);
	ck_assert_uint_eq(xs_path_quota_len("/local/domains/5/y"), 18);
	/* sscanf's %5u takes a sign as Xen's does: '-' is a valid char. */
	ck_assert_uint_eq(xs_path_quota_len("/local/domain/-1/y"), 1);
	ck_assert_uint_eq(xs_path_quota_len("@releaseDomain"), 14);
}
END_TEST

/* The measure is sscanf's, as C xenstored takes it, on every shape. */
START_TEST(test_quota_len_sscanf)
{
	static const char *const tails[] = { "5/x", "12345/x", "123456/x",
	    "-1/x", "+7/x", "-1234/x", "-12345/x", " 5/x", "\t 5/x", "5",
	    "5/", "/x", "x/y", "0005/", "00000/", "99999/a/b", "-/x", "+/x",
	    "- 5/x", "5 /x", "", NULL };
	char		 path[64];
	unsigned int	 domid, i;
	int		 off;

	for (i = 0; tails[i] != NULL; i++) {
		snprintf(path, sizeof path, "/local/domain/%s", tails[i]);
		off = 0;
		if (sscanf(path, "/local/domain/%5u/%n", &domid, &off) != 1)
			off = 0;
		ck_assert_msg(xs_path_quota_len(path) ==
		    strlen(path) - (size_t)off, "%s: %zu, sscanf %zu", path,
		    xs_path_quota_len(path), strlen(path) - (size_t)off);
	}
}
END_TEST

/* Absolute and special paths are copied as they are. */
START_TEST(test_canonical_abs)
{
	char	out[XS_ABS_PATH_MAX + 1];

	ck_assert_int_eq(xs_path_canonical("/a/b", 5, 0, out, sizeof out), 0);
	ck_assert_str_eq(out, "/a/b");
	ck_assert_int_eq(xs_path_canonical("/", 0, 0, out, sizeof out), 0);
	ck_assert_str_eq(out, "/");
	ck_assert_int_eq(xs_path_canonical("@releaseDomain", 5,
	    XS_PATH_SPECIAL, out, sizeof out), 0);
	ck_assert_str_eq(out, "@releaseDomain");
}
END_TEST

/* Relative paths go under the caller's home. */
START_TEST(test_canonical_rel)
{
	char	out[XS_ABS_PATH_MAX + 1];

	ck_assert_int_eq(xs_path_canonical("foo", 5, 0, out, sizeof out), 0);
	ck_assert_str_eq(out, "/local/domain/5/foo");
	ck_assert_int_eq(xs_path_canonical("a/b-c", 0, 0, out, sizeof out),
	    0);
	ck_assert_str_eq(out, "/local/domain/0/a/b-c");
	ck_assert_int_eq(xs_path_canonical("x", 32751, 0, out, sizeof out),
	    0);
	ck_assert_str_eq(out, "/local/domain/32751/x");
	ck_assert_int_eq(xs_path_canonical("x", 4294967295U, 0, out,
	    sizeof out), 0);
	ck_assert_str_eq(out, "/local/domain/4294967295/x");
	/* '-' and '@' are fine after the first byte. */
	ck_assert_int_eq(xs_path_canonical("-@", 1, 0, out, sizeof out), 0);
	ck_assert_str_eq(out, "/local/domain/1/-@");
}
END_TEST

/* Relative 2048 bytes pass, 2049 do not (measured: OK, EINVAL). */
START_TEST(test_canonical_rel_len)
{
	char	out[XS_ABS_PATH_MAX + 1];
	char	*p;

	p = make_path("", XS_REL_PATH_MAX);
	ck_assert_int_eq(xs_path_canonical(p, XS_DOMID_MAX, 0, out,
	    sizeof out), 0);
	ck_assert_uint_eq(strlen(out), 20 + XS_REL_PATH_MAX);
	ck_assert_int_eq(xs_path_check_quota(out, XS_REL_PATH_MAX), 0);
	/* The longest home still fits; over five digits is no home to Xen. */
	ck_assert_int_eq(xs_path_canonical(p, 4294967295U, 0, out,
	    sizeof out), 0);
	ck_assert_uint_eq(strlen(out), 25 + XS_REL_PATH_MAX);
	ck_assert_int_eq(xs_path_check_quota(out, XS_REL_PATH_MAX), EINVAL);
	free(p);

	p = make_path("", XS_REL_PATH_MAX + 1);
	ck_assert_int_eq(xs_path_canonical(p, 0, 0, out, sizeof out),
	    EINVAL);
	free(p);
	p = make_path("", XS_ABS_PATH_MAX + 1);
	ck_assert_int_eq(xs_path_canonical(p, 0, 0, out, sizeof out),
	    EINVAL);
	free(p);

	/* Absolute 3072 pass canonical; the quota refuses them. */
	p = make_path("/", XS_ABS_PATH_MAX);
	ck_assert_int_eq(xs_path_canonical(p, 0, 0, out, sizeof out), 0);
	ck_assert_int_eq(xs_path_check_quota(out, XS_REL_PATH_MAX), EINVAL);
	free(p);
	p = make_path("/", XS_ABS_PATH_MAX + 1);
	ck_assert_int_eq(xs_path_canonical(p, 0, 0, out, sizeof out),
	    EINVAL);
	free(p);
}
END_TEST

/* Bad request paths, relative ones checked once made absolute. */
START_TEST(test_canonical_bad)
{
	static const char *const bad[] = {
		"", "t/", "a//b", "a b", "a.b", "@foo", "@", "//", "/t/",
	};
	char	out[XS_ABS_PATH_MAX + 1];
	size_t	i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(xs_path_canonical(bad[i], 0, 0, out,
		    sizeof out) == EINVAL, "%s", bad[i]);
	}
	ck_assert_int_eq(xs_path_canonical(NULL, 0, 0, out, sizeof out),
	    EINVAL);
	ck_assert_int_eq(xs_path_canonical("t/", 0, XS_PATH_SPECIAL, out,
	    sizeof out), EINVAL);
}
END_TEST

/* A too small output buffer is ERANGE, never an overflow. */
START_TEST(test_canonical_small_buffer)
{
	char	out[20];

	ck_assert_int_eq(xs_path_canonical("/abc", 0, 0, out, 5), 0);
	ck_assert_str_eq(out, "/abc");
	ck_assert_int_eq(xs_path_canonical("/abc", 0, 0, out, 4), ERANGE);
	/* "/local/domain/5/ab" is 18 bytes: 19 fit, 18 do not. */
	ck_assert_int_eq(xs_path_canonical("ab", 5, 0, out, 19), 0);
	ck_assert_str_eq(out, "/local/domain/5/ab");
	ck_assert_int_eq(xs_path_canonical("ab", 5, 0, out, 18), ERANGE);
	ck_assert_int_eq(xs_path_canonical("ab", 5, 0, out, 10), ERANGE);
	ck_assert_int_eq(xs_path_canonical("ab", 5, 0, out, 0), ERANGE);
}
END_TEST

/* A domain's home, and its length. */
START_TEST(test_domain_home)
{
	char	out[32];

	ck_assert_uint_eq(xs_path_domain_home(0, out, sizeof out), 15);
	ck_assert_str_eq(out, "/local/domain/0");
	ck_assert_uint_eq(xs_path_domain_home(32751, out, sizeof out), 19);
	ck_assert_str_eq(out, "/local/domain/32751");
	ck_assert_uint_eq(xs_path_domain_home(5, out, 16), 15);
	ck_assert_uint_eq(xs_path_domain_home(5, out, 15), 0);
	ck_assert_uint_eq(xs_path_domain_home(5, out, 0), 0);
}
END_TEST

/* Event paths for relative watches. */
START_TEST(test_relative)
{
	const char	*abs = "/local/domain/5/foo/bar";

	ck_assert_ptr_eq(xs_path_relative(abs, 5), abs + 16);
	ck_assert_str_eq(xs_path_relative(abs, 5), "foo/bar");
	ck_assert_str_eq(xs_path_relative("/local/domain/5", 5), "");
	ck_assert_ptr_null(xs_path_relative(abs, 6));
	ck_assert_ptr_null(xs_path_relative("/local/domain/50/x", 5));
	ck_assert_ptr_null(xs_path_relative("/local/domain/5x", 5));
	ck_assert_ptr_null(xs_path_relative("/local/domain", 5));
	ck_assert_ptr_null(xs_path_relative("/tool/x", 0));
	ck_assert_ptr_null(xs_path_relative("@releaseDomain", 0));
}
END_TEST

/* Parents of absolute paths. */
START_TEST(test_parent)
{
	char	out[XS_ABS_PATH_MAX + 1];
	char	small[3];

	ck_assert_int_eq(xs_path_parent("/a/b", out, sizeof out), 0);
	ck_assert_str_eq(out, "/a");
	ck_assert_int_eq(xs_path_parent("/a", out, sizeof out), 0);
	ck_assert_str_eq(out, "/");
	ck_assert_int_eq(xs_path_parent("/a/b/c", out, sizeof out), 0);
	ck_assert_str_eq(out, "/a/b");
	ck_assert_int_eq(xs_path_parent("/", out, sizeof out), EINVAL);
	ck_assert_int_eq(xs_path_parent("", out, sizeof out), EINVAL);
	ck_assert_int_eq(xs_path_parent("a/b", out, sizeof out), EINVAL);
	ck_assert_int_eq(xs_path_parent(NULL, out, sizeof out), EINVAL);
	ck_assert_int_eq(xs_path_parent("/ab/c", small, sizeof small),
	    ERANGE);
	ck_assert_int_eq(xs_path_parent("/a/c", small, sizeof small), 0);
	ck_assert_str_eq(small, "/a");
}
END_TEST

/* Last components. */
START_TEST(test_basename)
{
	ck_assert_str_eq(xs_path_basename("/a/b"), "b");
	ck_assert_str_eq(xs_path_basename("/a"), "a");
	ck_assert_str_eq(xs_path_basename("/"), "");
	ck_assert_str_eq(xs_path_basename("@releaseDomain/5"), "5");
}
END_TEST

/* Ancestry, component-wise. */
START_TEST(test_is_under)
{
	ck_assert(xs_path_is_under("/a/b", "/a"));
	ck_assert(xs_path_is_under("/a", "/a"));
	ck_assert(xs_path_is_under("/a/b/c", "/a/b"));
	ck_assert(!xs_path_is_under("/ab", "/a"));
	ck_assert(!xs_path_is_under("/a", "/a/b"));
	ck_assert(!xs_path_is_under("/b", "/a"));
	ck_assert(xs_path_is_under("/", "/"));
	ck_assert(xs_path_is_under("/x/y", "/"));
	ck_assert(!xs_path_is_under("@introduceDomain", "/"));
	ck_assert(xs_path_is_under("@releaseDomain/5", "@releaseDomain"));
	ck_assert(!xs_path_is_under("@releaseDomainX", "@releaseDomain"));
}
END_TEST

/* Depth counts components. */
START_TEST(test_depth)
{
	ck_assert_uint_eq(xs_path_depth("/"), 0);
	ck_assert_uint_eq(xs_path_depth("/a"), 1);
	ck_assert_uint_eq(xs_path_depth("/a/b"), 2);
	ck_assert_uint_eq(xs_path_depth("/local/domain/5/x"), 4);
}
END_TEST

/* The suite: core, limits, errors. */
static Suite *
path_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("path");

	tc = tcase_create("core");
	tcase_add_test(tc, test_check_valid);
	tcase_add_test(tc, test_check_special);
	tcase_add_test(tc, test_quota_len_prefix);
	tcase_add_test(tc, test_quota_len_sscanf);
	tcase_add_test(tc, test_canonical_abs);
	tcase_add_test(tc, test_canonical_rel);
	tcase_add_test(tc, test_domain_home);
	tcase_add_test(tc, test_relative);
	tcase_add_test(tc, test_parent);
	tcase_add_test(tc, test_basename);
	tcase_add_test(tc, test_is_under);
	tcase_add_test(tc, test_depth);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_check_abs_len);
	tcase_add_test(tc, test_check_special_len);
	tcase_add_test(tc, test_check_lmdb_key_sizes);
	tcase_add_test(tc, test_quota_len);
	tcase_add_test(tc, test_canonical_rel_len);
	tcase_add_test(tc, test_canonical_small_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_check_invalid);
	tcase_add_test(tc, test_canonical_bad);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(path_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
