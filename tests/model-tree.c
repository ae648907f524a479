/*
 * model-tree.c - the in-memory xenstore tree of the store model test.
 *
 * Written for obviousness, not speed: it is the reference db/ is held to.
 * The semantics are db/store.h's:
 *
 *  - the root "/" always exists, perms "n0", empty value, and cannot be
 *    removed (EINVAL);
 *  - a write or mkdir creates every missing ancestor; each created node
 *    copies its parent's permission list and, unless the owner is
 *    STORE_OWNER_INHERIT, puts the owner in the first entry's domid (the
 *    first entry's letter stays the parent's);
 *  - a write to an existing node replaces its value and keeps its perms;
 *    a mkdir of an existing node changes nothing;
 *  - rm removes the node and its whole subtree; the children of a node
 *    list in creation order, so a removed and re-created child moves to
 *    the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model-tree.h"

#define MODEL_BUCKETS	1024

static size_t		 model_hash(const char *);
static struct model_node *model_node_new(struct model *, const char *);
static void		 model_node_free(struct model_node *);
static void		 model_unlink(struct model *, struct model_node *);
static void		 model_kid_add(struct model_node *, const char *);
static void		 model_kid_del(struct model_node *, const char *);
static int		 model_create(struct model *, const char *,
			     const void *, uint32_t, uint32_t, unsigned int *,
			     struct model_changes *);
static void		 model_subtree(struct model *, struct model_node *,
			     struct model_node ***, size_t *, size_t *);

/* Allocate or die: the model has no use for out-of-memory paths. */
void *
model_xmalloc(size_t size)
{
	void	*p;

	p = malloc(size == 0 ? 1 : size);
	if (p == NULL) {
		fprintf(stderr, "model: out of memory\n");
		abort();
	}
	return (p);
}

/* Grow or die. */
void *
model_xrealloc(void *old, size_t size)
{
	void	*p;

	p = realloc(old, size == 0 ? 1 : size);
	if (p == NULL) {
		fprintf(stderr, "model: out of memory\n");
		abort();
	}
	return (p);
}

/* Duplicate a string or die. */
char *
model_xstrdup(const char *s)
{
	size_t	 len = strlen(s);
	char	*p;

	p = model_xmalloc(len + 1);
	memcpy(p, s, len + 1);
	return (p);
}

/* FNV-1a of a path, for the bucket. */
static size_t
model_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return ((size_t)(h % MODEL_BUCKETS));
}

/* A tree holding only the root of a fresh store. */
struct model *
model_new(void)
{
	struct model		*m;
	struct model_node	*root;

	m = model_xmalloc(sizeof *m);
	m->nbuckets = MODEL_BUCKETS;
	m->buckets = calloc(m->nbuckets, sizeof *m->buckets);
	if (m->buckets == NULL)
		abort();
	m->count = 0;
	m->maxid = 0;
	root = model_node_new(m, "/");
	root->perms = model_xmalloc(sizeof *root->perms);
	root->perms[0].domid = 0;
	root->perms[0].access = XS_PERM_NONE;
	root->nperms = 1;
	return (m);
}

/* A node with no value, perms or children, linked into m. */
static struct model_node *
model_node_new(struct model *m, const char *path)
{
	struct model_node	*n;
	size_t			 b;

	n = calloc(1, sizeof *n);
	if (n == NULL)
		abort();
	n->path = model_xstrdup(path);
	n->minid = m->maxid;
	b = model_hash(path);
	n->next = m->buckets[b];
	m->buckets[b] = n;
	m->count++;
	return (n);
}

/* Free one node (already unlinked). */
static void
model_node_free(struct model_node *n)
{
	uint32_t	i;

	for (i = 0; i < n->nkids; i++)
		free(n->kids[i]);
	free(n->kids);
	free(n->perms);
	free(n->value);
	free(n->path);
	free(n);
}

/* Take n out of m's hash (does not free it). */
static void
model_unlink(struct model *m, struct model_node *n)
{
	struct model_node	**pp;

	pp = &m->buckets[model_hash(n->path)];
	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	m->count--;
}

/* A deep copy: the snapshot of an XS transaction or a group's undo. */
struct model *
model_clone(const struct model *src)
{
	struct model		*m;
	struct model_node	*s, *n;
	size_t			 b;
	uint32_t		 i;

	m = model_xmalloc(sizeof *m);
	m->nbuckets = src->nbuckets;
	m->buckets = calloc(m->nbuckets, sizeof *m->buckets);
	if (m->buckets == NULL)
		abort();
	m->count = src->count;
	m->maxid = src->maxid;
	for (b = 0; b < src->nbuckets; b++) {
		for (s = src->buckets[b]; s != NULL; s = s->next) {
			n = model_xmalloc(sizeof *n);
			*n = *s;
			n->path = model_xstrdup(s->path);
			n->value = model_xmalloc(s->vlen);
			memcpy(n->value, s->value == NULL ? "" : (void *)s->value,
			    s->vlen);
			n->perms = model_xmalloc(s->nperms * sizeof *n->perms);
			memcpy(n->perms, s->perms, s->nperms * sizeof *n->perms);
			n->kids = model_xmalloc(s->kidsalloc * sizeof *n->kids);
			for (i = 0; i < s->nkids; i++)
				n->kids[i] = model_xstrdup(s->kids[i]);
			n->next = m->buckets[b];
			m->buckets[b] = n;
		}
	}
	return (m);
}

/* Free a whole tree. */
void
model_free(struct model *m)
{
	struct model_node	*n, *next;
	size_t			 b;

	if (m == NULL)
		return;
	for (b = 0; b < m->nbuckets; b++) {
		for (n = m->buckets[b]; n != NULL; n = next) {
			next = n->next;
			model_node_free(n);
		}
	}
	free(m->buckets);
	free(m);
}

/* The node at path, or NULL. */
struct model_node *
model_get(const struct model *m, const char *path)
{
	struct model_node	*n;

	for (n = m->buckets[model_hash(path)]; n != NULL; n = n->next) {
		if (strcmp(n->path, path) == 0)
			return (n);
	}
	return (NULL);
}

/* Call fn for every node, in no particular order. */
void
model_foreach(const struct model *m, void (*fn)(void *, struct model_node *),
    void *arg)
{
	struct model_node	*n;
	size_t			 b;

	for (b = 0; b < m->nbuckets; b++) {
		for (n = m->buckets[b]; n != NULL; n = n->next)
			fn(arg, n);
	}
}

/* Append a child name at the end of n's list. */
static void
model_kid_add(struct model_node *n, const char *name)
{
	if (n->nkids == n->kidsalloc) {
		n->kidsalloc = n->kidsalloc == 0 ? 4 : n->kidsalloc * 2;
		n->kids = model_xrealloc(n->kids,
		    n->kidsalloc * sizeof *n->kids);
	}
	n->kids[n->nkids++] = model_xstrdup(name);
	n->cdirty = true;
}

/* Drop a child name from n's list, keeping the order of the others. */
static void
model_kid_del(struct model_node *n, const char *name)
{
	uint32_t	i;

	for (i = 0; i < n->nkids; i++) {
		if (strcmp(n->kids[i], name) == 0)
			break;
	}
	if (i == n->nkids)
		abort();
	free(n->kids[i]);
	memmove(&n->kids[i], &n->kids[i + 1],
	    (n->nkids - i - 1) * sizeof *n->kids);
	n->nkids--;
	n->cdirty = true;
}

/*
 * Create path and its missing ancestors, top down, each copying its
 * parent's perms with owner in front; path itself gets the value.
 */
static int
model_create(struct model *m, const char *path, const void *value,
    uint32_t vlen, uint32_t owner, unsigned int *created,
    struct model_changes *ch)
{
	char			**missing = NULL, buf[XS_ABS_PATH_MAX + 1];
	size_t			  nmissing = 0, i;
	struct model_node	 *parent, *n;

	/* Walk up to the nearest existing ancestor. */
	snprintf(buf, sizeof buf, "%s", path);
	for (;;) {
		missing = model_xrealloc(missing,
		    (nmissing + 1) * sizeof *missing);
		missing[nmissing++] = model_xstrdup(buf);
		if (model_path_parent(missing[nmissing - 1], buf,
		    sizeof buf) != 0)
			abort();	/* the root always exists */
		if ((parent = model_get(m, buf)) != NULL)
			break;
	}
	model_changes_add(ch, parent->path, MODEL_NO_REPORT, MODEL_KIDS,
	    ch->ngroups, false);

	for (i = nmissing; i-- > 0;) {
		n = model_node_new(m, missing[i]);
		n->nperms = parent->nperms;
		n->perms = model_xmalloc(n->nperms * sizeof *n->perms);
		memcpy(n->perms, parent->perms, n->nperms * sizeof *n->perms);
		if (owner != STORE_OWNER_INHERIT)
			n->perms[0].domid = owner;
		if (i == 0) {
			n->value = model_xmalloc(vlen);
			memcpy(n->value, value == NULL ? "" : value, vlen);
			n->vlen = vlen;
		}
		model_kid_add(parent, model_path_basename(n->path));
		model_changes_add(ch, n->path, STORE_CHANGE_WRITE, MODEL_ALL,
		    ch->ngroups++, i != 0);
		parent = n;
	}
	if (created != NULL)
		*created = (unsigned int)nmissing;
	for (i = 0; i < nmissing; i++)
		free(missing[i]);
	free(missing);
	return (0);
}

/* store_write on the model. */
int
model_write(struct model *m, const char *path, const void *value,
    uint32_t vlen, uint32_t owner, unsigned int *created,
    struct model_changes *ch)
{
	struct model_node	*n;

	if ((n = model_get(m, path)) == NULL)
		return (model_create(m, path, value, vlen, owner, created, ch));
	free(n->value);
	n->value = model_xmalloc(vlen);
	memcpy(n->value, value == NULL ? "" : value, vlen);
	n->vlen = vlen;
	n->gdirty = true;
	model_changes_add(ch, path, STORE_CHANGE_WRITE, MODEL_GEN,
	    ch->ngroups++, false);
	if (created != NULL)
		*created = 0;
	return (0);
}

/* store_mkdir on the model. */
int
model_mkdir(struct model *m, const char *path, uint32_t owner,
    unsigned int *created, struct model_changes *ch)
{
	if (model_get(m, path) != NULL) {
		if (created != NULL)
			*created = 0;
		return (0);
	}
	return (model_create(m, path, NULL, 0, owner, created, ch));
}

/* Collect n's descendants, children after their own descendants. */
static void
model_subtree(struct model *m, struct model_node *n,
    struct model_node ***out, size_t *nout, size_t *alloc)
{
	char			 buf[XS_ABS_PATH_MAX + 1];
	struct model_node	*k;
	uint32_t		 i;

	for (i = 0; i < n->nkids; i++) {
		if (strcmp(n->path, "/") == 0)
			snprintf(buf, sizeof buf, "/%s", n->kids[i]);
		else
			snprintf(buf, sizeof buf, "%s/%s", n->path, n->kids[i]);
		if ((k = model_get(m, buf)) == NULL)
			abort();
		model_subtree(m, k, out, nout, alloc);
		if (*nout == *alloc) {
			*alloc = *alloc == 0 ? 16 : *alloc * 2;
			*out = model_xrealloc(*out, *alloc * sizeof **out);
		}
		(*out)[(*nout)++] = k;
	}
}

/* store_rm on the model. */
int
model_rm(struct model *m, const char *path, unsigned int *removed,
    struct model_changes *ch)
{
	char			  pbuf[XS_ABS_PATH_MAX + 1];
	struct model_node	 *n, *parent, **sub = NULL;
	size_t			  nsub = 0, alloc = 0, i;
	unsigned int		  group;

	if (strcmp(path, "/") == 0)
		return (EINVAL);
	if ((n = model_get(m, path)) == NULL)
		return (ENOENT);
	model_subtree(m, n, &sub, &nsub, &alloc);
	group = ch->ngroups++;
	for (i = 0; i < nsub; i++) {
		model_changes_add(ch, sub[i]->path, STORE_CHANGE_RM_CHILD,
		    MODEL_ALL, group, false);
		model_unlink(m, sub[i]);
		model_node_free(sub[i]);
	}
	free(sub);
	model_changes_add(ch, path, STORE_CHANGE_RM, MODEL_ALL,
	    ch->ngroups++, false);
	if (model_path_parent(path, pbuf, sizeof pbuf) != 0 ||
	    (parent = model_get(m, pbuf)) == NULL)
		abort();
	model_kid_del(parent, model_path_basename(path));
	model_changes_add(ch, parent->path, MODEL_NO_REPORT, MODEL_KIDS,
	    group, false);
	model_unlink(m, n);
	model_node_free(n);
	if (removed != NULL)
		*removed = (unsigned int)nsub + 1;
	return (0);
}

/* store_set_perms on the model. */
int
model_set_perms(struct model *m, const char *path, const struct xs_perm *p,
    unsigned int np, struct model_changes *ch)
{
	struct model_node	*n;

	if (np == 0)
		return (EINVAL);
	if ((n = model_get(m, path)) == NULL)
		return (ENOENT);
	free(n->perms);
	n->perms = model_xmalloc(np * sizeof *n->perms);
	memcpy(n->perms, p, np * sizeof *n->perms);
	n->nperms = np;
	n->gdirty = true;
	model_changes_add(ch, path, STORE_CHANGE_PERMS, MODEL_GEN,
	    ch->ngroups++, false);
	return (0);
}

/* Sum of (name length + 1) over the children: Xen's node size. */
uint32_t
model_childbytes(const struct model_node *n)
{
	uint32_t	i, sum = 0;

	for (i = 0; i < n->nkids; i++)
		sum += (uint32_t)strlen(n->kids[i]) + 1;
	return (sum);
}

/*
 * What a node counts against its owner's usage: "values, perms and
 * names" (store.h). Taken as the value, each permission entry as stored
 * (a 4-byte domid and an access byte) and the node's own name with its
 * NUL, as the store counts them: store.h does not give the sizes.
 */
uint64_t
model_node_bytes(const struct model_node *n)
{
	return ((uint64_t)n->vlen + (uint64_t)n->nperms * 5 +
	    strlen(model_path_basename(n->path)) + 1);
}

/* Usage of one owner: its nodes and their bytes. */
void
model_usage(const struct model *m, uint32_t domid, struct store_usage *u)
{
	struct model_node	*n;
	size_t			 b;

	u->nodes = 0;
	u->bytes = 0;
	for (b = 0; b < m->nbuckets; b++) {
		for (n = m->buckets[b]; n != NULL; n = n->next) {
			if (n->perms[0].domid != domid)
				continue;
			u->nodes++;
			u->bytes += model_node_bytes(n);
		}
	}
}

/* Forget every change recorded. */
void
model_changes_clear(struct model_changes *ch)
{
	size_t	i;

	for (i = 0; i < ch->n; i++)
		free(ch->v[i].path);
	ch->n = 0;
	ch->ngroups = 0;
}

/* Free a list of changes. */
void
model_changes_free(struct model_changes *ch)
{
	model_changes_clear(ch);
	free(ch->v);
	ch->v = NULL;
	ch->alloc = 0;
}

/* Record one change. */
void
model_changes_add(struct model_changes *ch, const char *path, int kind,
    unsigned int aspects, unsigned int group, bool optional)
{
	struct model_change	*c;

	if (ch->n == ch->alloc) {
		ch->alloc = ch->alloc == 0 ? 16 : ch->alloc * 2;
		ch->v = model_xrealloc(ch->v, ch->alloc * sizeof *ch->v);
	}
	c = &ch->v[ch->n++];
	c->path = model_xstrdup(path);
	c->kind = kind;
	c->aspects = aspects;
	c->group = group;
	c->optional = optional;
}

/* Parent of an absolute path into out; EINVAL for the root. */
int
model_path_parent(const char *path, char *out, size_t outsz)
{
	const char	*slash;
	size_t		 len;

	if (strcmp(path, "/") == 0)
		return (EINVAL);
	slash = strrchr(path, '/');
	len = (size_t)(slash - path);
	if (len == 0)
		len = 1;
	if (len >= outsz)
		return (EINVAL);
	memcpy(out, path, len);
	out[len] = '\0';
	return (0);
}

/* True if path is ancestor or lies below it. */
bool
model_path_is_under(const char *path, const char *ancestor)
{
	size_t	len = strlen(ancestor);

	if (strcmp(ancestor, "/") == 0)
		return (true);
	if (strncmp(path, ancestor, len) != 0)
		return (false);
	return (path[len] == '\0' || path[len] == '/');
}

/* Last component of an absolute path ("" for the root). */
const char *
model_path_basename(const char *path)
{
	return (strrchr(path, '/') + 1);
}
