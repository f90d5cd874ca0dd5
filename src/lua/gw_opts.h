/* Reading the options table of a signing call (gw.cos, gw.s3).
 *
 * The options table may be a proxy whose fields come from __index, and
 * any Lua code that runs while the options are read (an __index, a
 * finalizer) may drop what a table held. So every string whose pointer is
 * kept for the C call is left on the calling function's own stack, where
 * nothing but its return can release it: sgw__opt_begin makes room for
 * the strings, the pairs and the conditions make their own. */
#ifndef SGW_GW_OPTS_H
#define SGW_GW_OPTS_H

#include <lua.h>
#include <stddef.h>

#include "signgw/cos.h" /* sgw_kv_t */

/* Checks that argument 1 is the options table, drops any other argument
 * and makes room for `slots` option strings. */
void sgw__opt_begin(lua_State *L, int slots);

/* Field `k` of the table at `t`: a string, left on the stack, or `def`
 * when absent; its length in *len when len is not NULL. */
const char *sgw__opt_string(lua_State *L, int t, const char *k,
                            const char *def, size_t *len);

/* As sgw__opt_string, for a value used as a C string: one holding a NUL
 * byte (which would cut it short) is refused. */
const char *sgw__opt_cstring(lua_State *L, int t, const char *k,
                             const char *def);

/* Field `k`: an integer, or `def` when absent. */
lua_Integer sgw__opt_integer(lua_State *L, int t, const char *k,
                             lua_Integer def);

/* Field `k`, a name -> string|number table (absent: none), into kv, at
 * most `max` entries. A copy of each name and value is left on the stack
 * (numbers converted in the copy), so they outlive any change to the
 * table. Returns the number of entries. */
size_t sgw__opt_pairs(lua_State *L, int t, const char *k, sgw_kv_t *kv,
                      size_t max);

/* Field "conditions", a list of tables (absent: none), each encoded to
 * JSON text left on the stack, appended to out[n..max). Returns the new
 * count. */
size_t sgw__opt_conditions(lua_State *L, int t, const char **out, size_t n,
                           size_t max);

#endif
