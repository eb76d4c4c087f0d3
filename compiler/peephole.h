// peephole: rewrites of a whole module's generic code after code
// generation, where a pattern spans several functions' worth of blocks.
//
// One today. A select_val whose every target block only returns a
// constant,
//
//   select_val S Fail [V1 L1, V2 L2, ...]      select_return S Fail
//   label L1: move C1 {x,0}; return       =>     [V1 C1, V2 C2, ...]
//   label L2: move C2 {x,0}; return
//
// becomes one select_return holding the constants, and the blocks that no
// other instruction names are dropped. OTP's Unicode tables are such
// functions (unicode_util's unicode_table/1 has 6,704 clauses,
// case_table/1 2,928, is_extend/1 2,485): the module's code shrinks by
// half, loads in half the time, and the loader sorts the pairs so the
// lookup is a binary search, not a scan.
#pragma once

#include "bytecode/bytecode.h"

namespace peephole {

// Rewrites `module.code` in place. Labels keep their numbers; a label whose
// block was dropped is no longer defined (and nothing refers to it).
void run(bytecode::Module& module);

}  // namespace peephole
