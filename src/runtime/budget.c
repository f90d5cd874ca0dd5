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
  if (nsize > osize && vm->mem_limit > 0 &&
      vm->mem_used - osize + nsize > vm->mem_limit)
    return NULL; /* Lua raises "not enough memory" in the script */
  if ((p = realloc(ptr, nsize)) != NULL)
    vm->mem_used = vm->mem_used - osize + nsize;
  return p;
}

/* Past the deadline, the request's own coroutine is yielded out: no
 * pcall in the script can catch that, and dispatch drops the request.
 * Elsewhere (a coroutine the script made, module loading) an error is
 * raised, and raised again at every check until control gets back. */
static void budget_hook(lua_State *L, lua_Debug *ar) {
  sgw_vm_t *vm;

  (void)ar;
  lua_getallocf(L, (void **)&vm);
  if (vm->deadline == 0 || uv_hrtime() <= vm->deadline)
    return;
  if (L == vm->budget_co && lua_isyieldable(L)) {
    vm->overrun = 1;
    lua_yield(L, 0);
    return;
  }
  luaL_error(L, "script ran past its time budget");
}

void sgw_budget_install(sgw_vm_t *vm) {
  lua_sethook(vm->L, budget_hook, LUA_MASKCOUNT, SGW__HOOK_EVERY);
}

void sgw_budget_arm(sgw_vm_t *vm, lua_State *co, uint64_t budget_ns) {
  vm->deadline = budget_ns ? uv_hrtime() + budget_ns : 0;
  vm->budget_co = co;
  if (budget_ns != 0)
    vm->overrun = 0; /* disarming keeps it for the caller to read */
}
