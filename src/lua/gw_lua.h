/* The Lua modules signgw provides, one C file each, and the few helpers
 * they share with the runtime. */
#ifndef SGW_GW_LUA_H
#define SGW_GW_LUA_H

#include <lua.h>

#include "runtime/cred.h"
#include "signgw/buf.h"
#include "signgw/signer.h"

/* Registry key of the process status (struct sgw_status_s *). */
#define SGW_STATUS_KEY "signgw.status"

int luaopen_gw(lua_State *L);
int luaopen_gw_crypto(lua_State *L);
int luaopen_gw_cos(lua_State *L);
int luaopen_gw_time(lua_State *L);
int luaopen_gw_json(lua_State *L);
int luaopen_gw_url(lua_State *L);
int luaopen_gw_log(lua_State *L);

/* gw_cos.c: pushes the opaque credential userdata (points at `cred`,
 * which must outlive the VM). */
void sgw_lua_push_cred(lua_State *L, const sgw_cred_t *cred);

/* gw_cos.c: makes `signer` the one gw.cos signs with in this VM (NULL:
 * none; each call then uses a one-off signer). The signer stays the
 * caller's (a worker's, used only on its thread) and must outlive the VM
 * or be replaced first. */
void sgw_lua_set_signer(lua_State *L, sgw_signer_t *signer);

/* gw_json.c: appends the JSON text of the value at `idx` to `out`.
 * Returns 0, or a negative code with a message in err. */
int sgw_lua_json_encode(lua_State *L, int idx, sgw_buf_t *out, char *err,
                        size_t errlen);

#endif
