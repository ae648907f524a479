/*
 * model-tree.h - a plain in-memory xenstore tree, the reference the store
 * model test (check_model.c) compares db/ against.
 *
 * The tree follows db/store.h's semantics with the simplest code there
 * is: a hash of path -> node, each node holding its value, its
 * permission list and the names of its children in creation order. Every
 * change an operation makes is also described as a list of
 * model_change records, which serve twice: as the observer reports the
 * store must make, and as the log the test uses to decide whether an XS
 * transaction conflicts.
 */
#ifndef MODEL_TREE_H
#define MODEL_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Aspects of a node a change touches. */
#define MODEL_EXIST	0x1	/* the node was created or removed */
#define MODEL_GEN	0x2	/* its value or permissions */
#define MODEL_KIDS	0x4	/* its list of children */
#define MODEL_ALL	(MODEL_EXIST | MODEL_GEN | MODEL_KIDS)

/* A change with no observer report (a parent's list of children). */
#define MODEL_NO_REPORT	(-1)

/*
 * One change. Reports of one group may come in any order; groups come in
 * order. An optional report is a created ancestor of the written path:
 * store.h does not say whether the observer hears of it.
 */
struct model_change {
	char		*path;
	int		 kind;		/* enum store_change or MODEL_NO_REPORT */
	unsigned int	 aspects;
	unsigned int	 group;
	bool		 optional;
};

struct model_changes {
	struct model_change	*v;
	size_t			 n;
	size_t			 alloc;
	unsigned int		 ngroups;
};

/* A node of the model. */
struct model_node {
	char			*path;
	unsigned char		*value;
	uint32_t		 vlen;
	struct xs_perm		*perms;
	unsigned int		 nperms;
	char			**kids;		/* names, creation order */
	uint32_t		 nkids;
	uint32_t		 kidsalloc;

	/*
	 * What the store last said about the node (0: not seen yet), and
	 * whether the model changed that aspect since. minid is the
	 * highest id known when the node was created: its id must be above.
	 */
	uint64_t		 id;
	uint64_t		 gen;
	uint64_t		 cgen;
	uint64_t		 minid;
	bool			 gdirty;
	bool			 cdirty;

	struct model_node	*next;
};

struct model {
	struct model_node	**buckets;
	size_t			  nbuckets;
	size_t			  count;
	uint64_t		  maxid;	/* highest node id seen */
};

/* model-tree.c */
struct model		*model_new(void);
struct model		*model_clone(const struct model *);
void			 model_free(struct model *);
struct model_node	*model_get(const struct model *, const char *);
int			 model_write(struct model *, const char *,
			     const void *, uint32_t, uint32_t, unsigned int *,
			     struct model_changes *);
int			 model_mkdir(struct model *, const char *, uint32_t,
			     unsigned int *, struct model_changes *);
int			 model_rm(struct model *, const char *, unsigned int *,
			     struct model_changes *);
int			 model_set_perms(struct model *, const char *,
			     const struct xs_perm *, unsigned int,
			     struct model_changes *);
void			 model_usage(const struct model *, uint32_t,
			     struct store_usage *);
uint64_t		 model_node_bytes(const struct model_node *);
uint32_t		 model_childbytes(const struct model_node *);
void			 model_foreach(const struct model *,
			     void (*)(void *, struct model_node *), void *);

void			 model_changes_clear(struct model_changes *);
void			 model_changes_free(struct model_changes *);
void			 model_changes_add(struct model_changes *,
			     const char *, int, unsigned int, unsigned int,
			     bool);

int			 model_path_parent(const char *, char *, size_t);
bool			 model_path_is_under(const char *, const char *);
const char		*model_path_basename(const char *);

void			*model_xmalloc(size_t);
void			*model_xrealloc(void *, size_t);
char			*model_xstrdup(const char *);

#endif /* MODEL_TREE_H */
