/*
 * xsdb-sim-guest.c - a guest domain of xsdbd's simulated Xen, from the
 * command line, for demos and by-hand checks:
 *
 *	xsdbd --xen=sim:/tmp/sim --socket /tmp/sim/socket --db /tmp/sim/db
 *	xsdb-sim-guest --sim /tmp/sim --socket /tmp/sim/socket --domid 5 \
 *	    --new write data/x hello
 *	xsdb-sim-guest --sim /tmp/sim --socket /tmp/sim/socket --domid 5 \
 *	    read data/x
 *
 * With --new the domain is created (a zeroed ring page, state "running"),
 * dom0 makes its home /local/domain/N owned by it and INTRODUCEs it;
 * without, the tool takes up the ring page of a domain introduced before
 * and goes on speaking over it. Requests go over the ring as the guest's,
 * with its rights and its relative paths.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-guest.h"

static void	sim_tool_usage(FILE *);
static int	sim_tool_run(struct sim_guest *, const char *, int, char **,
		    int);
static unsigned long sim_tool_number(const char *, const char *,
		    unsigned long);

/* Print the usage text. */
static void
sim_tool_usage(FILE *f)
{
	fprintf(f,
"usage: xsdb-sim-guest --sim DIR --socket PATH --domid N [--port P]\n"
"           [--new] [--timeout MS] [COMMAND [ARGS]]\n"
"\n"
"Commands (paths may be relative to /local/domain/N):\n"
"  read PATH            print the value of a node\n"
"  write PATH VALUE     write a node\n"
"  mkdir PATH, rm PATH  make or remove a node\n"
"  ls PATH              list the children of a node\n"
"  perms PATH           print the permissions of a node\n"
"  watch PATH [COUNT]   print COUNT (1) events of a watch on PATH\n"
"  reconnect            reset the ring (connection = 1)\n"
"  state STATE          set the domain's state (running, shutdown,\n"
"                       dying, gone) and raise VIRQ_DOM_EXC\n"
"With --new and no command, the domain is created and introduced.\n");
}

/* A decimal number up to max, or exit 2. */
static unsigned long
sim_tool_number(const char *what, const char *s, unsigned long max)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > max) {
		fprintf(stderr, "xsdb-sim-guest: invalid %s \"%s\"\n", what, s);
		exit(2);
	}
	return v;
}

/* Run one command; 0 or an errno value. */
static int
sim_tool_run(struct sim_guest *g, const char *cmd, int argc, char **argv,
    int timeout)
{
	const char	*path, *token;
	char		 value[XS_PAYLOAD_MAX + 1];
	unsigned long	 count, i;
	uint32_t	 off;
	int		 rc;

	if (strcmp(cmd, "read") == 0 && argc == 1) {
		if ((rc = sim_guest_read_node(g, 0, argv[0], value,
		    sizeof value)) == 0)
			printf("%s\n", value);
		return rc;
	}
	if (strcmp(cmd, "write") == 0 && argc == 2)
		return sim_guest_write_node(g, 0, argv[0], argv[1]);
	if (strcmp(cmd, "mkdir") == 0 && argc == 1)
		return sim_guest_op(g, XS_MKDIR, 0, argv[0], NULL);
	if (strcmp(cmd, "rm") == 0 && argc == 1)
		return sim_guest_op(g, XS_RM, 0, argv[0], NULL);
	if ((strcmp(cmd, "ls") == 0 || strcmp(cmd, "perms") == 0) &&
	    argc == 1) {
		rc = sim_guest_op(g, cmd[0] == 'l' ? XS_DIRECTORY :
		    XS_GET_PERMS, 0, argv[0], NULL);
		if (rc != 0)
			return rc;
		for (off = 0; off < g->hdr.len; off += strlen(g->msg + off) +
		    1)
			printf("%s\n", g->msg + off);
		return 0;
	}
	if (strcmp(cmd, "watch") == 0 && (argc == 1 || argc == 2)) {
		count = argc == 2 ? sim_tool_number("count", argv[1],
		    INT_MAX) : 1;
		if ((rc = sim_guest_op(g, XS_WATCH, 0, argv[0], "t")) != 0)
			return rc;
		for (i = 0; i < count; i++) {
			if ((rc = sim_guest_next_event(g, timeout, &path,
			    &token)) != 0)
				return rc;
			printf("%s\n", path);
			fflush(stdout);
		}
		return sim_guest_op(g, XS_UNWATCH, 0, argv[0], "t");
	}
	if (strcmp(cmd, "reconnect") == 0 && argc == 0)
		return sim_guest_reconnect(g, timeout);
	if (strcmp(cmd, "state") == 0 && argc == 1) {
		if ((rc = sim_set_state(g->dir, g->domid,
		    strcmp(argv[0], "none") == 0 ? NULL : argv[0])) != 0)
			return rc;
		return sim_raise_virq(g->dir);
	}
	sim_tool_usage(stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "sim",	required_argument,	NULL, 's' },
		{ "socket",	required_argument,	NULL, 'S' },
		{ "domid",	required_argument,	NULL, 'd' },
		{ "port",	required_argument,	NULL, 'p' },
		{ "new",	no_argument,		NULL, 'n' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct sim_guest	*g;
	const char		*dir = NULL, *sock = NULL;
	unsigned int		 domid = UINT_MAX;
	uint32_t		 port = 1;
	bool			 fresh = false;
	int			 ch, rc, timeout = 10000;

	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			dir = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		case 'd':
			domid = (unsigned int)sim_tool_number("domid", optarg,
			    XS_DOMID_MAX);
			break;
		case 'p':
			port = (uint32_t)sim_tool_number("port", optarg,
			    UINT32_MAX);
			break;
		case 'n':
			fresh = true;
			break;
		case 't':
			timeout = (int)sim_tool_number("timeout", optarg,
			    INT_MAX);
			break;
		case 'h':
			sim_tool_usage(stdout);
			return 0;
		default:
			sim_tool_usage(stderr);
			return 2;
		}
	}
	if (dir == NULL || sock == NULL || domid == UINT_MAX || domid == 0 ||
	    port == 0 || (optind == argc && !fresh)) {
		sim_tool_usage(stderr);
		return 2;
	}
	if ((rc = sim_guest_new(dir, domid, port, fresh, &g)) != 0) {
		fprintf(stderr, "xsdb-sim-guest: domain %u in %s: %s\n", domid,
		    dir, strerror(rc));
		return 1;
	}
	if (fresh && ((rc = sim_home_make(sock, domid)) != 0 ||
	    (rc = sim_guest_introduce(g, sock)) != 0)) {
		fprintf(stderr, "xsdb-sim-guest: introducing domain %u: %s\n",
		    domid, strerror(rc));
		sim_guest_free(g);
		return 1;
	}
	rc = 0;
	if (optind < argc)
		rc = sim_tool_run(g, argv[optind], argc - optind - 1,
		    argv + optind + 1, timeout);
	if (rc != 0) {
		fprintf(stderr, "xsdb-sim-guest: %s: %s\n", argv[optind],
		    xs_wire_error_name(rc) != NULL &&
		    xs_wire_error_from_name(xs_wire_error_name(rc)) == rc ?
		    xs_wire_error_name(rc) : strerror(rc));
	}
	sim_guest_free(g);
	return rc == 0 ? 0 : 1;
}
