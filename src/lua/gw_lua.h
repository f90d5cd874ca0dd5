/* The Lua modules signgw provides, one C file each, and the few helpers
 * they share with the runtime. */
#ifndef SGW_GW_LUA_H
#define SGW_GW_LUA_H

#include <lua.h>

#include "runtime/cred.h"
#include "runtime/task.h"
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
int luaopen_gw_request(lua_State *L);

/* gw_request.c: pushes the `req` object of task t. */
void sgw_lua_push_request(lua_State *L, sgw_task_t *t);

int luaopen_gw_shared(lua_State *L);

/* gw_shared.c: opens the dicts named by config.shared (the table at cfg),
 * creating new ones; a dict that exists keeps its size (logged). Returns
 * 0, or SGW_EINVAL with "config: ..." in err (then nothing changed). */
int sgw_lua_shared_config(lua_State *L, int cfg, char *err, size_t errlen);
int luaopen_gw_tc3(lua_State *L);
int luaopen_gw_s3(lua_State *L);
int luaopen_gw_jwt(lua_State *L);
int luaopen_gw_http(lua_State *L);
int luaopen_gw_event(lua_State *L);
int luaopen_gw_sts(lua_State *L);
int luaopen_gw_redis(lua_State *L);
int luaopen_gw_ip(lua_State *L);

/* gw_cos.c: pushes the opaque credential userdata; it holds a reference
 * to `cred` until it is collected. */
void sgw_lua_push_cred(lua_State *L, sgw_cred_t *cred);
/* gw_cos.c: the credential behind the `gw.cred` userdata at `idx`; raises
 * a Lua error when it is anything else. */
const sgw_cred_t *sgw_lua_check_cred(lua_State *L, int idx);

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
