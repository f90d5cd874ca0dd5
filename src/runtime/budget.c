#include "runtime/budget.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <uv.h>

#include "runtime/vm.h"

#define SGW__HOOK_EVERY 4096 /* instructions between clock checks */

void *sgw_budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  sgw_vm_t *vm = ud;
  void *p;

  if (ptr == NULL)
    osize = 0; /* osize is a type tag then, not a size */
  if (nsize == 0) {
    free(ptr);
    vm->mem_used -= osize;
    return NULL;
  }
  /* The cap holds only while a script runs, where Lua turns a refusal
   * into an error in that script. The runtime's own work around it (a
   * coroutine for the next request, a traceback, a response) must not
   * fail for what a script did: it runs outside any protected call. */
  if (nsize > osize && vm->budget_co != NULL && vm->mem_limit > 0 &&
      vm->mem_used - osize + nsize > vm->mem_limit)
    return NULL;
  if ((p = realloc(ptr, nsize)) != NULL)
    vm->mem_used = vm->mem_used - osize + nsize;
  return p;
}

/* Past the deadline the hook fires on every instruction from then on,
 * and wherever it can it yields: out of the request's coroutine (dispatch
 * then drops the request) or out of a coroutine the script made, back to
 * the script's resume, where the next instruction yields again. No pcall
 * can catch a yield. Where yielding is impossible (inside a callback from
 * C, or while loading) it raises an error instead, at every instruction,
 * so a pcall around it only gets control back for one step. */
static void budget_hook(lua_State *L, lua_Debug *ar) {
  sgw_vm_t *vm;

  (void)ar;
  lua_getallocf(L, (void **)&vm);
  if (vm->deadline == 0 || uv_hrtime() <= vm->deadline)
    return;
  lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
  if (vm->budget_co != NULL && vm->budget_co != L)
    lua_sethook(vm->budget_co, budget_hook, LUA_MASKCOUNT, 1);
  if (vm->budget_co != NULL && lua_isyieldable(L)) {
    vm->overrun = 1;
    lua_yield(L, 0);
    return;
  }
  /* Level 0 inside a hook is the running function: name where it looped
   * (luaL_error would name its caller, often require or pcall). */
  luaL_where(L, 0);
  lua_pushliteral(L, "script ran past its time budget");
  lua_concat(L, 2);
  lua_error(L);
}

void sgw_budget_install(sgw_vm_t *vm) {
  lua_sethook(vm->L, budget_hook, LUA_MASKCOUNT, SGW__HOOK_EVERY);
}

void sgw_budget_arm(sgw_vm_t *vm, lua_State *co, uint64_t budget_ns) {
  vm->deadline = budget_ns ? uv_hrtime() + budget_ns : 0;
  vm->budget_co = co;
  if (budget_ns != 0)
    vm->overrun = 0; /* disarming keeps it for the caller to read */
  /* An overrun speeds a thread's hook up to every instruction: put the
   * usual pace back on what runs next. */
  lua_sethook(co ? co : vm->L, budget_hook, LUA_MASKCOUNT, SGW__HOOK_EVERY);
}
