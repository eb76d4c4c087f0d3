// posix: the errno -> atom table (see posix.h).
#include "vm/posix.h"

#include <cerrno>

namespace posix {

namespace {

struct Entry {
    int error;
    std::string_view name;
};

constexpr Entry kNames[] = {
    {EACCES, "eacces"},
    {EAGAIN, "eagain"},
    {EBADF, "ebadf"},
    {EBUSY, "ebusy"},
    {EDQUOT, "edquot"},
    {EEXIST, "eexist"},
    {EFAULT, "efault"},
    {EFBIG, "efbig"},
    {EINTR, "eintr"},
    {EINVAL, "einval"},
    {EIO, "eio"},
    {EISDIR, "eisdir"},
    {ELOOP, "eloop"},
    {EMFILE, "emfile"},
    {EMLINK, "emlink"},
    {ENAMETOOLONG, "enametoolong"},
    {ENFILE, "enfile"},
    {ENODEV, "enodev"},
    {ENOENT, "enoent"},
    {ENOMEM, "enomem"},
    {ENOSPC, "enospc"},
    {ENOTBLK, "enotblk"},
    {ENOTDIR, "enotdir"},
    {ENOTEMPTY, "enotempty"},
    {ENOTSUP, "enotsup"},
    {ENXIO, "enxio"},
    {EPERM, "eperm"},
    {EPIPE, "epipe"},
    {EROFS, "erofs"},
    {ESPIPE, "espipe"},
    {ESRCH, "esrch"},
    {ESTALE, "estale"},
    {ETXTBSY, "etxtbsy"},
    {EXDEV, "exdev"},
    {ECHILD, "echild"},
    {ECONNREFUSED, "econnrefused"},
    // sockets (vm/inet.h)
    {EADDRINUSE, "eaddrinuse"},
    {EADDRNOTAVAIL, "eaddrnotavail"},
    {EAFNOSUPPORT, "eafnosupport"},
    {ECONNABORTED, "econnaborted"},
    {ECONNRESET, "econnreset"},
    {EHOSTUNREACH, "ehostunreach"},
    {EISCONN, "eisconn"},
    {EMSGSIZE, "emsgsize"},
    {ENETUNREACH, "enetunreach"},
    {ENOBUFS, "enobufs"},
    {ENOTCONN, "enotconn"},
    {ENOTSOCK, "enotsock"},
    {ETIMEDOUT, "etimedout"},
    {EALREADY, "ealready"},
};

}  // namespace

std::string_view name(int error) {
    for (const Entry& entry : kNames)
        if (entry.error == error) return entry.name;
    return "eio";
}

}  // namespace posix
