#include "runtime/sources.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/file.h"
#include "signgw/error.h"

#define SGW__SRC_MAX_FILE (4u << 20)

static int read_file(const char *path, char **text, size_t *len, char *err,
                     size_t errlen) {
  return sgw_file_read(path, SGW__SRC_MAX_FILE, text, len, err, errlen);
}

int sgw_sources_read_config(sgw_sources_t *s, const char *path, char *err,
                            size_t errlen) {
  char resolved[PATH_MAX];
  int rc;

  /* Resolved now, at every read: a symlink swapped since the last
   * generation (ln -sfn, a Kubernetes ..data swap) leads to the new file,
   * and the config's folder is the one that file is in. */
  if (realpath(path, resolved) == NULL) {
    snprintf(err, errlen, "cannot open config file %s: %s", path,
             strerror(errno));
    return errno == ENOENT ? SGW_ENOENT : SGW_EIO;
  }
  if ((s->config_path = strdup(resolved)) == NULL)
    return SGW_ENOMEM;
  rc = read_file(resolved, &s->config, &s->config_len, err, errlen);
  if (rc < 0 && strcmp(resolved, path) != 0) {
    char msg[SGW_ERR_MAX];
    snprintf(msg, sizeof(msg), "%s", err);
    snprintf(err, errlen, "config file %s: %s", path, msg);
  }
  return rc;
}

/* ---- the folder walk, shared with the watcher ---- */

static int walk_dir(sgw_walk_t *w, const char *dir, size_t root_len,
                    int depth) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int rc = 0;

  if (d == NULL) /* a folder that does not exist holds no scripts */
    return errno == ENOENT || errno == ENOTDIR ? 0 : w->error(w, dir, errno);
  for (;;) {
    char path[4096];
    struct stat st;
    size_t n;

    errno = 0;
    if ((e = readdir(d)) == NULL) {
      if (errno != 0)
        rc = w->error(w, dir, errno);
      break;
    }
    n = strlen(e->d_name);
    if (e->d_name[0] == '.' ||
        (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
            sizeof(path))
      continue;
    if (stat(path, &st) < 0) {
      /* Gone since readdir, a dangling or looping link: nothing there. */
      if (errno != ENOENT && errno != ELOOP && (rc = w->error(w, path, errno)))
        break;
      continue;
    }
    if (S_ISDIR(st.st_mode) && depth < SGW_SOURCES_MAX_DEPTH)
      rc = walk_dir(w, path, root_len, depth + 1);
    else if (S_ISREG(st.st_mode) && n > 4 &&
             strcmp(e->d_name + n - 4, ".lua") == 0)
      rc = w->file(w, path, root_len, &st);
    if (rc != 0)
      break;
  }
  closedir(d);
  return rc;
}

int sgw_sources_walk(sgw_walk_t *w, const char *root) {
  return walk_dir(w, root, strlen(root), 0);
}

/* Module name for a file at `rel` (below its folder), or NULL for a file
 * require() could not name ("a.b.lua", hidden files). *init is set for
 * ".../init.lua". The caller frees the name. */
static char *module_name(const char *rel, int *init) {
  size_t n = strlen(rel) - 4; /* without ".lua" */
  char *name = strndup(rel, n);

  if (name == NULL)
    return NULL;
  *init = 0;
  if (n >= 5 && strcmp(name + n - 5, "/init") == 0) {
    name[n - 5] = '\0';
    *init = 1;
  }
  for (char *p = name; *p; p++) {
    if (*p == '.') {
      free(name);
      return NULL;
    }
    if (*p == '/')
      *p = '.';
  }
  return name;
}

typedef struct walk_s {
  sgw_walk_t walk;
  sgw_sources_t *s;
  size_t cap;
  int *prio;      /* per module: 2 * folder index + init */
  int folder;     /* 2 * index of the folder being walked */
  char *err;
  size_t errlen;
} walk_t;

static int add_module(sgw_walk_t *ww, const char *path, size_t root_len,
                      const struct stat *st) {
  walk_t *w = ww->data;
  sgw_sources_t *s = w->s;
  int init, prio = w->folder, rc;
  char *name = module_name(path + root_len + 1, &init);
  size_t i;

  (void)st;
  if (name == NULL)
    return 0;
  prio += init;
  for (i = 0; i < s->nmods && strcmp(s->mods[i].name, name) != 0; i++)
    ;
  if (i < s->nmods && w->prio[i] <= prio) {
    free(name);
    return 0; /* an earlier folder, or "a.lua" over "a/init.lua" */
  }
  if (i == s->nmods) {
    if (s->nmods == SGW_SOURCES_MAX_FILES) {
      free(name);
      return 0;
    }
    if (s->nmods == w->cap) {
      size_t cap = w->cap ? w->cap * 2 : 32;
      sgw_source_t *m = realloc(s->mods, cap * sizeof(*m));
      int *p = realloc(w->prio, cap * sizeof(*p));
      if (m)
        s->mods = m;
      if (p)
        w->prio = p;
      if (m == NULL || p == NULL) {
        free(name);
        return SGW_ENOMEM;
      }
      w->cap = cap;
    }
    s->mods[s->nmods++] = (sgw_source_t){.name = name};
  } else {
    free(name);
    free(s->mods[i].path);
    free(s->mods[i].text);
    s->mods[i].text = NULL;
  }
  w->prio[i] = prio;
  s->mods[i].path = strdup(path);
  if (s->mods[i].path == NULL)
    return SGW_ENOMEM;
  rc = read_file(path, &s->mods[i].text, &s->mods[i].len, w->err, w->errlen);
  return rc;
}

/* A folder that exists but cannot be read (no descriptors left, no
 * permission) fails the generation: one built without its modules must
 * not go live. */
static int walk_error(sgw_walk_t *ww, const char *path, int e) {
  walk_t *w = ww->data;

  snprintf(w->err, w->errlen, "cannot read %s: %s", path, strerror(e));
  return SGW_EIO;
}

int sgw_sources_read_modules(sgw_sources_t *s, char *const *dirs,
                             size_t ndirs, char *err, size_t errlen) {
  walk_t w = {{add_module, walk_error, NULL}, s, 0, NULL, 0, err, errlen};
  int rc = 0;

  w.walk.data = &w;
  for (size_t i = 0; rc == 0 && i < ndirs; i++) {
    w.folder = (int)(2 * i);
    rc = sgw_sources_walk(&w.walk, dirs[i]);
  }
  free(w.prio);
  if (rc == SGW_ENOMEM)
    snprintf(err, errlen, "out of memory reading the scripts");
  s->have_mods = rc == 0;
  return rc;
}

void sgw_sources_free(sgw_sources_t *s) {
  for (size_t i = 0; i < s->nmods; i++) {
    free(s->mods[i].name);
    free(s->mods[i].path);
    free(s->mods[i].text);
  }
  free(s->mods);
  free(s->config);
  free(s->config_path);
  memset(s, 0, sizeof(*s));
}

/* package.searchers entry: upvalue 1 maps name -> {text, "@path"}. */
static int snapshot_searcher(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  size_t len;
  const char *text, *chunk;

  if (lua_getfield(L, lua_upvalueindex(1), name) != LUA_TTABLE) {
    lua_pushfstring(L, "no script '%s' in the script folders", name);
    return 1;
  }
  lua_rawgeti(L, -1, 1);
  text = lua_tolstring(L, -1, &len);
  lua_rawgeti(L, -2, 2);
  chunk = lua_tostring(L, -1);
  if (luaL_loadbufferx(L, text, len, chunk, "t") != LUA_OK)
    return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s",
                      name, chunk + 1, lua_tostring(L, -1));
  lua_pushstring(L, chunk + 1); /* the loader's second argument */
  return 2;
}

void sgw_sources_install(lua_State *L, const sgw_sources_t *s) {
  lua_createtable(L, 0, (int)s->nmods);
  for (size_t i = 0; i < s->nmods; i++) {
    lua_createtable(L, 2, 0);
    lua_pushlstring(L, s->mods[i].text, s->mods[i].len);
    lua_rawseti(L, -2, 1);
    lua_pushfstring(L, "@%s", s->mods[i].path);
    lua_rawseti(L, -2, 2);
    lua_setfield(L, -2, s->mods[i].name);
  }
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  lua_pushvalue(L, -3);
  lua_pushcclosure(L, snapshot_searcher, 1);
  lua_rawseti(L, -2, 2); /* after the preload searcher */
  for (lua_Integer i = luaL_len(L, -1); i > 2; i--) {
    lua_pushnil(L);
    lua_rawseti(L, -2, i);
  }
  lua_pop(L, 3);
}
