/* Budgets for scripts: a memory cap per VM and a time limit per request.
 *
 * The VM's allocator counts its bytes and refuses past the cap, which
 * Lua turns into a "not enough memory" error in the script that asked.
 * A count hook runs every few thousand instructions and raises an error
 * once the running request has used up its time (time spent waiting in
 * gw.sleep does not count). Both end one request with a 500; the worker
 * and every other request carry on. Module loading has a budget too, so a
 * script that loops at load time fails the reload instead of hanging it. */
#ifndef SGW_BUDGET_H
#define SGW_BUDGET_H

#include <stddef.h>
#include <stdint.h>

struct lua_State;
struct sgw_vm_s;

/* lua_Alloc with ud = the sgw_vm_t. */
void *sgw_budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* Installs the count hook on the VM's main thread; coroutines created
 * from it inherit it. */
void sgw_budget_install(struct sgw_vm_s *vm);

/* Arms the time limit: scripts on this VM may run until `budget_ns`
 * from now; `co` is the request coroutine being resumed (NULL while
 * loading). 0 disarms it. After a resume, vm->overrun tells whether the
 * coroutine was stopped for running out of time. */
void sgw_budget_arm(struct sgw_vm_s *vm, struct lua_State *co,
                    uint64_t budget_ns);

#endif
