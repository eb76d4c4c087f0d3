// script: running a file as OTP 25's `escript` runs it. A file whose first
// line starts with `#!` is an escript, whatever its name:
//
//   #!/usr/bin/env beamlite         line 1: how the shell starts it
//   %% -*- erlang -*-               line 2: optional comment
//   %%! -smp enable -pa ../ebin     line 2 or 3: optional emulator flags
//   main(Args) -> ...
//
// This module reads that header (the flags, of which beamlite honours only
// the code path ones, -pa and -pz) and names the script's module as escript
// does. The compiler does the rest (preproc::Options::escript_module,
// compiler/escript.h) and the VM reports a failed main/1 as escript does
// (node::Config::escript).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace script {

struct Header {
    // The words of the `%%!` line (escript's emu_args), in order.
    std::vector<std::string> emu_args;
    // The file ends inside the header (escript reads line 2, and line 3
    // after a comment on line 2): escript's "Premature end of file reached".
    bool premature_end = false;
};

// The header of `path` when it is an escript (its first line starts with
// `#!`); nullopt when it is not, or cannot be read.
std::optional<Header> read_header(const std::string& path);

// The directories the emulator flags add to the code path: the words after
// -pa or -pz up to the next flag. erl's other flags (-smp, -sname, +A 4,
// -setcookie, ...) mean nothing to beamlite and are ignored.
std::vector<std::string> code_path(const Header& header);

// escript's name for a script's module when it has no -module: the file's
// base name with each `.` made `_`, then `__escript__` and the time and a
// unique integer (escript.erl's pre_def_macros), e.g.
// `hello_escript__escript__1733__123456__789012__1`.
std::string implicit_module(const std::string& path);

}  // namespace script
