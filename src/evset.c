/*
 * evset.c - the watch events waiting in a connection's output, counted
 * by a keyed hash of their payload, so that an event the same as one
 * still waiting is dropped (Xen's answer to XSA-326: a guest rewriting a
 * node without pause must not pile up events for a watcher that reads
 * slowly, dom0's toolstack included).
 *
 * An open-addressing table with linear probing. A slot whose count fell
 * to 0 keeps its key, so that probes for other keys still pass it; the
 * table is rebuilt without such slots when it grows.
 *
 * The hash is keyed with bytes drawn once per process: a guest chooses
 * the paths of its events, and must not be able to make one of its own
 * look like another's to have it dropped.
 */
#include "config.h"

#include <sys/random.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xsdbd.h"

#define EVSET_MIN	16

static uint64_t	 evset_key(void);
static size_t	 evset_slot(const struct evset *, uint64_t);
static int	 evset_grow(struct evset *);

/* The process's hash key, drawn on first use. */
static uint64_t
evset_key(void)
{
	static uint64_t	key;
	static bool	drawn;

	if (!drawn) {
		if (getrandom(&key, sizeof key, GRND_NONBLOCK) !=
		    (ssize_t)sizeof key)
			key = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^
			    (uint64_t)getpid();
		drawn = true;
	}
	return key;
}

/* The key of an event payload (never 0, which marks an empty slot). */
uint64_t
evset_hash(const void *payload, size_t len)
{
	const unsigned char	*p = payload;
	uint64_t		 h = 0xcbf29ce484222325ULL ^ evset_key();
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	/* Mix the last bytes into every bit (splitmix64's finaliser). */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h != 0 ? h : 1;
}

/* The slot of h, or of the empty slot where it would go. */
static size_t
evset_slot(const struct evset *s, uint64_t h)
{
	size_t	mask = s->cap - 1, i = (size_t)h & mask;

	while (s->key[i] != 0 && s->key[i] != h)
		i = (i + 1) & mask;
	return i;
}

/* How many events of key h wait. */
unsigned int
evset_count(const struct evset *s, uint64_t h)
{
	size_t	i;

	if (s->cap == 0)
		return 0;
	i = evset_slot(s, h);
	return s->key[i] == h ? s->count[i] : 0;
}

/* Double the table (or make it), keeping only keys with a count. */
static int
evset_grow(struct evset *s)
{
	struct evset	n;
	size_t		i, j;

	n.cap = s->cap == 0 ? EVSET_MIN : s->cap * 2;
	n.used = 0;
	if ((n.key = calloc(n.cap, sizeof *n.key)) == NULL ||
	    (n.count = calloc(n.cap, sizeof *n.count)) == NULL) {
		free(n.key);
		return -1;
	}
	for (i = 0; i < s->cap; i++) {
		if (s->count[i] == 0)
			continue;
		j = evset_slot(&n, s->key[i]);
		n.key[j] = s->key[i];
		n.count[j] = s->count[i];
		n.used++;
	}
	evset_free(s);
	*s = n;
	return 0;
}

/* Count one more event of key h. Returns 0 or -1 (out of memory). */
int
evset_add(struct evset *s, uint64_t h)
{
	size_t	i;

	if ((s->used + 1) * 2 > s->cap && evset_grow(s) != 0)
		return -1;
	i = evset_slot(s, h);
	if (s->key[i] == 0) {
		s->key[i] = h;
		s->used++;
	}
	s->count[i]++;
	return 0;
}

/* Count one event of key h less (none if none was counted). */
void
evset_del(struct evset *s, uint64_t h)
{
	size_t	i;

	if (s->cap == 0)
		return;
	i = evset_slot(s, h);
	if (s->key[i] == h && s->count[i] > 0)
		s->count[i]--;
}

/* Forget every event (the output was emptied); keep a small table. */
void
evset_clear(struct evset *s)
{
	if (s->cap > EVSET_MIN * 16) {
		evset_free(s);
		return;
	}
	if (s->cap > 0) {
		memset(s->key, 0, s->cap * sizeof *s->key);
		memset(s->count, 0, s->cap * sizeof *s->count);
	}
	s->used = 0;
}

/* Free the table. */
void
evset_free(struct evset *s)
{
	free(s->key);
	free(s->count);
	memset(s, 0, sizeof *s);
}
