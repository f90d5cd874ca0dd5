#include "runtime/sources.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "signgw/error.h"

#define SGW__SRC_MAX_FILE (4u << 20)
#define SGW__SRC_MAX_FILES 10000
#define SGW__SRC_MAX_DEPTH 8

static int read_file(const char *path, char **text, size_t *len, char *err,
                     size_t errlen) {
  FILE *f = fopen(path, "rb");
  struct stat st;
  size_t n;

  if (f == NULL || fstat(fileno(f), &st) < 0) {
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    if (f)
      fclose(f);
    return SGW_EIO;
  }
  if (!S_ISREG(st.st_mode)) {
    fclose(f);
    snprintf(err, errlen, "%s: not a regular file", path);
    return SGW_EIO;
  }
  if ((size_t)st.st_size > SGW__SRC_MAX_FILE) {
    fclose(f);
    snprintf(err, errlen, "%s: larger than %u bytes", path, SGW__SRC_MAX_FILE);
    return SGW_ERANGE;
  }
  if ((*text = malloc((size_t)st.st_size + 1)) == NULL) {
    fclose(f);
    return SGW_ENOMEM;
  }
  n = fread(*text, 1, (size_t)st.st_size, f);
  if (ferror(f)) {
    snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    fclose(f);
    free(*text);
    *text = NULL;
    return SGW_EIO;
  }
  fclose(f);
  (*text)[n] = '\0';
  *len = n;
  return 0;
}

int sgw_sources_read_config(sgw_sources_t *s, const char *path, char *err,
                            size_t errlen) {
  return read_file(path, &s->config, &s->config_len, err, errlen);
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
  sgw_sources_t *s;
  size_t cap;
  int *prio;      /* per module: 2 * folder index + init */
  char *err;
  size_t errlen;
} walk_t;

static int add_module(walk_t *w, const char *path, const char *rel, int prio) {
  sgw_sources_t *s = w->s;
  int init, rc;
  char *name = module_name(rel, &init);
  size_t i;

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
    if (s->nmods == SGW__SRC_MAX_FILES) {
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
  }
  w->prio[i] = prio;
  s->mods[i].path = strdup(path);
  if (s->mods[i].path == NULL)
    return SGW_ENOMEM;
  rc = read_file(path, &s->mods[i].text, &s->mods[i].len, w->err, w->errlen);
  return rc;
}

static int walk(walk_t *w, const char *dir, size_t root_len, int prio,
                int depth) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int rc = 0;

  if (d == NULL)
    return 0; /* a folder that does not exist holds no modules */
  while (rc == 0 && (e = readdir(d)) != NULL) {
    char path[4096];
    struct stat st;
    size_t n = strlen(e->d_name);
    if (e->d_name[0] == '.' ||
        (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
            sizeof(path) ||
        stat(path, &st) < 0)
      continue;
    if (S_ISDIR(st.st_mode) && depth < SGW__SRC_MAX_DEPTH)
      rc = walk(w, path, root_len, prio, depth + 1);
    else if (S_ISREG(st.st_mode) && n > 4 &&
             strcmp(e->d_name + n - 4, ".lua") == 0)
      rc = add_module(w, path, path + root_len + 1, prio);
  }
  closedir(d);
  return rc;
}

int sgw_sources_read_modules(sgw_sources_t *s, char *const *dirs,
                             size_t ndirs, char *err, size_t errlen) {
  walk_t w = {s, 0, NULL, err, errlen};
  int rc = 0;

  for (size_t i = 0; rc == 0 && i < ndirs; i++)
    rc = walk(&w, dirs[i], strlen(dirs[i]), (int)(2 * i), 0);
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
