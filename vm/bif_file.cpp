// bif_file: the NIFs beneath OTP's prim_file (erts/preloaded/src/
// prim_file.erl, compiled unchanged into the library), which OTP's file,
// file_io_server and filelib stand on. Each has the NIF's name, arguments
// and results (erts/emulator/nifs/common/prim_file_nif.c): paths arrive as
// NUL-terminated native binaries (prim_file:internal_name2native/1, also
// here), answers are ok, {ok, Value}, eof or {error, Posix}, and an open
// file is a resource ref (resource.h) to a File. Everything that touches
// the file system is marked kDirtyIo in bifs.def: it runs on the dirty I/O
// pool, never on a scheduler.
//
// Differences from the BEAM: a file whose controlling process dies stays
// open until the last ref to it is collected (the BEAM closes it at the
// death), and ipread_s32bu_p32bu (DETS's) is not here.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/posix.h"
#include "vm/reply.h"
#include "vm/resource.h"

namespace bif {

using namespace term;

namespace {

// An open file: the descriptor, -1 once closed.
struct File final : Resource {
    int fd = -1;
    explicit File(int descriptor) : fd(descriptor) { id = resource::new_id(); }
    ~File() override {
        if (fd >= 0) ::close(fd);
    }
};

Term posix_error(Process& p, int error) {
    uint32_t reason = atom::intern(posix::name(error));
    if (reason == atom::kNoAtom) reason = atom::kError;
    return reply::build(p, reply::tuple({reply::atom(atom::kError), reply::atom(reason)}));
}

Term ok_atom() {
    return make_atom(atom::kOk);
}

// ok, or {error, errno} when `failed`.
Term ok_or_errno(Process& p, bool failed) {
    return failed ? posix_error(p, errno) : ok_atom();
}

// A native path: a binary whose bytes end in one or more NULs and hold no
// other NUL (what internal_name2native makes). False (EINVAL) otherwise.
bool native_path(Term t, std::string& path) {
    if (!term::is_binary(t)) return false;
    path.clear();
    binary::append_bytes(path, t);
    size_t nul = path.find('\0');
    if (nul == std::string::npos) return false;
    if (path.find_first_not_of('\0', nul) != std::string::npos) return false;
    path.resize(nul);
    return true;
}

// {Tag, Binary} (or just the binary when tag is kNone) of `bytes`, in one
// allocation.
Term tagged_bytes(Process& p, Term tag, const void* bytes, size_t size) {
    size_t bin_words = binary::new_words(uint64_t(size) * 8);
    Term* mem = alloc(p, bin_words + (tag == kNone ? 0 : tuple_words(2)));
    if (!mem) return heap_exhausted(p);
    uint8_t* data;
    Term bin = binary::make(mem, uint64_t(size) * 8, &data, p.heap.off_heap);
    if (bin == kNone) return heap_exhausted(p);
    if (size) std::memcpy(data, bytes, size);
    if (tag == kNone) return bin;
    Term* tuple = mem + bin_words;
    Term t = make_tuple(tuple, 2);
    tuple[1] = tag;
    tuple[2] = bin;
    return t;
}

Term ok_bytes(Process& p, const std::string& bytes) {
    return tagged_bytes(p, ok_atom(), bytes.data(), bytes.size());
}

// {ok, [Binary]} of `names`, in one allocation.
Term ok_binaries(Process& p, const std::vector<std::string>& names) {
    size_t words = tuple_words(2);
    for (const std::string& name : names)
        words += binary::new_words(uint64_t(name.size()) * 8) + kConsWords;
    Term* mem = alloc(p, words);
    if (!mem) return heap_exhausted(p);
    Term list = kNil;
    for (const std::string& name : names) {
        uint8_t* data;
        Term bin = binary::make(mem, uint64_t(name.size()) * 8, &data, p.heap.off_heap);
        if (bin == kNone) return heap_exhausted(p);
        if (!name.empty()) std::memcpy(data, name.data(), name.size());
        mem += binary::new_words(uint64_t(name.size()) * 8);
        list = make_cons(mem, bin, list);
        mem += kConsWords;
    }
    Term t = make_tuple(mem, 2);
    mem[1] = ok_atom();
    mem[2] = list;
    return t;
}

// The open File a ref names; null when `t` names none (the NIF raises
// badarg). A closed one is returned with fd -1.
File* file_of(Term t) {
    return resource::get<File>(t);
}

// An integer argument that fits in int64; false when not one.
bool int64_arg(Term t, int64_t& v) {
    if (!is_small(t)) return false;
    v = small_value(t);
    return true;
}

// Reads up to `size` bytes at the file position (offset < 0) or at
// `offset`, looping until full or end of file. -1 with errno on error.
ssize_t read_fully(int fd, char* out, size_t size, int64_t offset) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = offset < 0
                        ? ::read(fd, out + done, size - done)
                        : ::pread(fd, out + done, size - done, off_t(offset + int64_t(done)));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        done += size_t(n);
    }
    return ssize_t(done);
}

bool write_fully(int fd, const std::string& bytes, int64_t offset) {
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = offset < 0 ? ::write(fd, bytes.data() + done, bytes.size() - done)
                               : ::pwrite(fd, bytes.data() + done, bytes.size() - done,
                                          off_t(offset + int64_t(done)));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        done += size_t(n);
    }
    return true;
}

// The open flags for a mode list, as OTP's efile_translate_modelist and
// get_flags decide; false when the list is not a proper list.
bool open_flags(Term modes, int& flags, bool& directory, bool& skip_type_check) {
    bool read = false, write = false, append = false, exclusive = false, sync = false;
    directory = skip_type_check = false;
    for (; is_cons(modes); modes = cons_ptr(modes)[1]) {
        Term mode = cons_ptr(modes)[0];
        if (mode == make_atom(atom::kRead))
            read = true;
        else if (mode == make_atom(atom::kWrite))
            write = true;
        else if (mode == make_atom(atom::kAppend))
            append = true;
        else if (mode == make_atom(atom::kExclusive))
            exclusive = true;
        else if (mode == make_atom(atom::kSync))
            sync = true;
        else if (mode == make_atom(atom::kSkipTypeCheck))
            skip_type_check = true;
        else if (mode == make_atom(atom::kDirectory))
            directory = true;
    }
    if (modes != kNil) return false;
    if (append || exclusive)
        write = true;
    else if (!read && !write)
        read = true;
    if (read && !write)
        flags = O_RDONLY;
    else if (write && !read)
        flags = O_WRONLY | O_CREAT | O_TRUNC;
    else
        flags = O_RDWR | O_CREAT;
    if (append) flags = (flags & ~O_TRUNC) | O_APPEND;
    if (exclusive) flags |= O_EXCL;
    if (sync) flags |= O_SYNC;
    if (directory) flags |= O_DIRECTORY;
    flags |= O_CLOEXEC;
    return true;
}

bool is_directory_fd(int fd) {
    struct stat info;
    return ::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode);
}

// Opens `path`; the descriptor or -1 with errno (EISDIR for a directory
// opened without the directory mode, as OTP requires on every platform).
int open_path(const std::string& path, int flags, bool directory, bool skip_type_check) {
    int fd;
    do {
        fd = ::open(path.c_str(), flags, directory ? 0777 : 0666);
    } while (fd < 0 && errno == EINTR);
    if (fd >= 0 && !skip_type_check && !directory && is_directory_fd(fd)) {
        ::close(fd);
        errno = EISDIR;
        return -1;
    }
    return fd;
}

// {ok, Ref} for a new File on `fd`, in one allocation.
Term ok_file(Process& p, int fd) {
    File* file = new File(fd);
    Term* mem = alloc(p, kResourceRefWords + tuple_words(2));
    if (!mem) {
        resource_release(file);
        return heap_exhausted(p);
    }
    Term ref = make_resource_ref(mem, file, p.heap.off_heap);
    Term* tuple = mem + kResourceRefWords;
    Term t = make_tuple(tuple, 2);
    tuple[1] = ok_atom();
    tuple[2] = ref;
    return t;
}

// The #file_info{} record of a stat result (file.hrl's field order).
Term file_info(Process& p, const struct stat& info, uint32_t access) {
    uint32_t type = atom::kOther;
    if (S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode))
        type = atom::kDevice;
    else if (S_ISDIR(info.st_mode))
        type = atom::kDirectory;
    else if (S_ISREG(info.st_mode))
        type = atom::kRegular;
    else if (S_ISLNK(info.st_mode))
        type = atom::kSymlink;
    return reply::build(
        p, reply::tuple(
               {reply::atom(atom::kFileInfo), reply::integer(int64_t(info.st_size)),
                reply::atom(type), reply::atom(access), reply::integer(int64_t(info.st_atime)),
                reply::integer(int64_t(info.st_mtime)), reply::integer(int64_t(info.st_ctime)),
                reply::integer(info.st_mode), reply::integer(int64_t(info.st_nlink)),
                reply::integer(int64_t(info.st_dev)), reply::integer(int64_t(info.st_rdev)),
                reply::integer(int64_t(info.st_ino)), reply::integer(info.st_uid),
                reply::integer(info.st_gid)}));
}

uint32_t access_atom(bool readable, bool writable) {
    if (readable && writable) return atom::kReadWrite;
    if (readable) return atom::kRead;
    if (writable) return atom::kWrite;
    return atom::kNoneAccess;
}

// A handle's access from its mode bits, as OTP's check_access.
uint32_t mode_access(const struct stat& info) {
    if (info.st_uid == ::geteuid())
        return access_atom(info.st_mode & S_IRUSR, info.st_mode & S_IWUSR);
    if (info.st_gid == ::getegid())
        return access_atom(info.st_mode & S_IRGRP, info.st_mode & S_IWGRP);
    return access_atom(info.st_mode & S_IROTH, info.st_mode & S_IWOTH);
}

// The NIFs taking a path: the path, or false after making the
// {error, einval} answer in `result`.
bool path_arg(Process& p, Term t, std::string& path, Term& result) {
    if (native_path(t, path)) return true;
    result = posix_error(p, EINVAL);
    return false;
}

// The NIFs taking an open file: the File (fd >= 0), or null after making
// the answer (badarg raised, or {error, einval} for a closed file).
File* open_file_arg(Process& p, Term t, Term& result) {
    File* file = file_of(t);
    if (!file) {
        result = badarg(p, 1, "not a file handle");
        return nullptr;
    }
    if (file->fd < 0) {
        result = posix_error(p, EINVAL);
        return nullptr;
    }
    return file;
}

}  // namespace

namespace impl {

Term prim_file_open_nif(Process& p, Term* args) {
    int flags;
    bool directory, skip_type_check;
    if (!term::is_list(args[1]) || !open_flags(args[1], flags, directory, skip_type_check))
        return badarg(p, 2, "not a list");
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    int fd = open_path(path, flags, directory, skip_type_check);
    if (fd < 0) return posix_error(p, errno);
    return ok_file(p, fd);
}

Term prim_file_file_desc_to_ref_nif(Process& p, Term* args) {
    if (!is_small(args[0]) || small_value(args[0]) < 0 || small_value(args[0]) > INT32_MAX)
        return badarg(p, 1, "not a file descriptor");
    int fd = int(small_value(args[0]));
    if (::fcntl(fd, F_GETFL) < 0 && errno == EBADF) return posix_error(p, EBADF);
    return ok_file(p, fd);
}

Term prim_file_close_nif(Process& p, Term* args) {
    Term result;
    File* file = open_file_arg(p, args[0], result);
    if (!file) return result;
    int fd = file->fd;
    file->fd = -1;
    return ok_or_errno(p, ::close(fd) < 0);  // close(2) is never retried on EINTR
}

Term prim_file_delayed_close_nif(Process& p, Term* args) {
    File* file = file_of(args[0]);
    if (!file) return badarg(p, 1, "not a file handle");
    if (file->fd >= 0) ::close(file->fd);
    file->fd = -1;
    return ok_atom();
}

namespace {

// read_nif(Ref, Size) and pread_nif(Ref, Offset, Size).
Term read_at(Process& p, Term ref, Term offset_arg, Term size_arg) {
    Term result;
    File* file = open_file_arg(p, ref, result);
    if (!file) return result;
    int64_t offset = -1, size;
    if (offset_arg != kNone && !int64_arg(offset_arg, offset))
        return badarg(p, 2, "not an integer");
    if (!int64_arg(size_arg, size)) return badarg(p, offset_arg == kNone ? 2 : 3, "not an integer");
    if (size < 0 || (offset_arg != kNone && offset < 0)) return posix_error(p, EINVAL);
    if (uint64_t(size) > binary::kMaxBytes) return posix_error(p, ENOMEM);
    std::string bytes(size_t(size), '\0');
    ssize_t n = read_fully(file->fd, bytes.data(), bytes.size(), offset);
    if (n < 0) return posix_error(p, errno);
    if (n == 0) return make_atom(atom::kEof);
    bytes.resize(size_t(n));
    bif::charge(bytes.size());
    return ok_bytes(p, bytes);
}

}  // namespace

Term prim_file_read_nif(Process& p, Term* args) {
    return read_at(p, args[0], kNone, args[1]);
}

Term prim_file_pread_nif(Process& p, Term* args) {
    return read_at(p, args[0], args[1], args[2]);
}

namespace {

// write_nif(Ref, IOVec) and pwrite_nif(Ref, Offset, IOVec).
Term write_at(Process& p, Term ref, Term offset_arg, Term data) {
    Term result;
    File* file = open_file_arg(p, ref, result);
    if (!file) return result;
    int64_t offset = -1;
    if (offset_arg != kNone && !int64_arg(offset_arg, offset))
        return badarg(p, 2, "not an integer");
    std::string bytes;
    if (!binary::flatten_iolist(data, bytes))
        return badarg(p, offset_arg == kNone ? 2 : 3, "not an iovec");
    if (offset_arg != kNone && offset < 0) return posix_error(p, EINVAL);
    bif::charge(bytes.size());
    return ok_or_errno(p, !write_fully(file->fd, bytes, offset));
}

}  // namespace

Term prim_file_write_nif(Process& p, Term* args) {
    return write_at(p, args[0], kNone, args[1]);
}

Term prim_file_pwrite_nif(Process& p, Term* args) {
    return write_at(p, args[0], args[1], args[2]);
}

Term prim_file_seek_nif(Process& p, Term* args) {
    Term result;
    File* file = open_file_arg(p, args[0], result);
    if (!file) return result;
    int64_t offset;
    if (!int64_arg(args[2], offset)) return badarg(p, 3, "not an integer");
    int whence;
    if (args[1] == make_atom(atom::kBof))
        whence = SEEK_SET;
    else if (args[1] == make_atom(atom::kCur))
        whence = SEEK_CUR;
    else if (args[1] == make_atom(atom::kEof))
        whence = SEEK_END;
    else
        return badarg(p, 2, "not bof, cur or eof");
    off_t position = ::lseek(file->fd, off_t(offset), whence);
    if (position < 0) return posix_error(p, errno ? errno : EINVAL);
    return reply::build(p, reply::tuple({reply::atom(atom::kOk), reply::integer(position)}));
}

Term prim_file_sync_nif(Process& p, Term* args) {
    Term result;
    File* file = open_file_arg(p, args[0], result);
    if (!file) return result;
    if (!is_small(args[1])) return badarg(p, 2, "not an integer");
    bool data_only = small_value(args[1]) != 0;
    return ok_or_errno(p, (data_only ? ::fdatasync(file->fd) : ::fsync(file->fd)) < 0);
}

Term prim_file_truncate_nif(Process& p, Term* args) {
    Term result;
    File* file = open_file_arg(p, args[0], result);
    if (!file) return result;
    off_t position = ::lseek(file->fd, 0, SEEK_CUR);
    if (position < 0) return posix_error(p, errno);
    return ok_or_errno(p, ::ftruncate(file->fd, position) < 0);
}

namespace {

// allocate_nif's and advise_nif's Offset and Length (args[1], args[2]):
// false with `result` set (badarg, or {error, einval} when negative).
bool range_args(Process& p, const Term* args, int64_t& offset, int64_t& length, Term& result) {
    if (!int64_arg(args[1], offset) || !int64_arg(args[2], length)) {
        result = badarg(p, 2, "not an integer");
        return false;
    }
    if (offset < 0 || length < 0) {
        result = posix_error(p, EINVAL);
        return false;
    }
    return true;
}

}  // namespace

Term prim_file_allocate_nif(Process& p, Term* args) {
    Term result;
    File* file = open_file_arg(p, args[0], result);
    if (!file) return result;
    int64_t offset, length;
    if (!range_args(p, args, offset, length, result)) return result;
    int error = ::posix_fallocate(file->fd, off_t(offset), off_t(length));
    if (error) return posix_error(p, error);
    return ok_atom();
}

Term prim_file_advise_nif(Process& p, Term* args) {
    Term result;
    File* file = open_file_arg(p, args[0], result);
    if (!file) return result;
    int64_t offset, length;
    if (!range_args(p, args, offset, length, result)) return result;
    static constexpr struct {
        uint32_t name;
        int advice;
    } kAdvice[] = {
        {atom::kNormal, POSIX_FADV_NORMAL},         {atom::kRandom, POSIX_FADV_RANDOM},
        {atom::kSequential, POSIX_FADV_SEQUENTIAL}, {atom::kWillNeed, POSIX_FADV_WILLNEED},
        {atom::kDontNeed, POSIX_FADV_DONTNEED},     {atom::kNoReuse, POSIX_FADV_NOREUSE}};
    for (const auto& entry : kAdvice) {
        if (args[3] != make_atom(entry.name)) continue;
        int error = ::posix_fadvise(file->fd, off_t(offset), off_t(length), entry.advice);
        return error ? posix_error(p, error) : ok_atom();
    }
    return posix_error(p, EINVAL);
}

Term prim_file_read_handle_info_nif(Process& p, Term* args) {
    Term result;
    File* file = open_file_arg(p, args[0], result);
    if (!file) return result;
    struct stat info;
    if (::fstat(file->fd, &info) < 0) return posix_error(p, errno);
    return file_info(p, info, mode_access(info));
}

Term prim_file_get_handle_nif(Process& p, Term* args) {
    Term result;
    File* file = open_file_arg(p, args[0], result);
    if (!file) return result;
    int fd = file->fd;
    return tagged_bytes(p, kNone, &fd, sizeof fd);
}

Term prim_file_read_file_nif(Process& p, Term* args) {
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    int fd = open_path(path, O_RDONLY | O_CLOEXEC, false, false);
    if (fd < 0) return posix_error(p, errno);
    struct stat info;
    size_t expected = ::fstat(fd, &info) == 0 && info.st_size > 0 ? size_t(info.st_size) : 0;
    std::string bytes;
    // Read what fstat promised plus one byte (to see the end, or a file that
    // grew); files that report no size (/proc, pipes) are read in blocks.
    size_t block = expected ? expected + 1 : 16 * 1024;
    for (;;) {
        size_t have = bytes.size();
        bytes.resize(have + block);
        ssize_t n = read_fully(fd, bytes.data() + have, block, -1);
        if (n < 0) {
            int error = errno;
            ::close(fd);
            return posix_error(p, error);
        }
        bytes.resize(have + size_t(n));
        if (size_t(n) < block) break;
        if (bytes.size() > binary::kMaxBytes) {
            ::close(fd);
            return posix_error(p, ENOMEM);
        }
        block = bytes.size();
    }
    ::close(fd);
    bif::charge(bytes.size());
    return ok_bytes(p, bytes);
}

Term prim_file_read_info_nif(Process& p, Term* args) {
    if (!is_small(args[1])) return badarg(p, 2, "not an integer");
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    struct stat info;
    int status = small_value(args[1]) ? ::stat(path.c_str(), &info) : ::lstat(path.c_str(), &info);
    if (status < 0) return posix_error(p, errno);
    bool readable = ::access(path.c_str(), R_OK) == 0;
    bool writable = ::access(path.c_str(), W_OK) == 0;
    return file_info(p, info, access_atom(readable, writable));
}

Term prim_file_set_permissions_nif(Process& p, Term* args) {
    if (!is_small(args[1]) || small_value(args[1]) < 0 || small_value(args[1]) > UINT32_MAX)
        return badarg(p, 2, "not an integer");
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    constexpr mode_t kMutable = S_ISUID | S_ISGID | S_IRWXU | S_IRWXG | S_IRWXO;
    mode_t mode = mode_t(small_value(args[1])) & kMutable;
    if (::chmod(path.c_str(), mode) < 0 && ::chmod(path.c_str(), mode & ~(S_ISUID | S_ISGID)) < 0)
        return posix_error(p, errno);
    return ok_atom();
}

Term prim_file_set_owner_nif(Process& p, Term* args) {
    if (!is_small(args[1]) || !is_small(args[2])) return badarg(p, 2, "not an integer");
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    return ok_or_errno(
        p, ::chown(path.c_str(), uid_t(small_value(args[1])), gid_t(small_value(args[2]))) < 0);
}

Term prim_file_set_time_nif(Process& p, Term* args) {
    if (!is_small(args[1]) || !is_small(args[2]) || !is_small(args[3]))
        return badarg(p, 2, "not an integer");
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    struct utimbuf times;
    times.actime = time_t(small_value(args[1]));
    times.modtime = time_t(small_value(args[2]));
    return ok_or_errno(p, ::utime(path.c_str(), &times) < 0);
}

Term prim_file_read_link_nif(Process& p, Term* args) {
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    std::string target(256, '\0');
    for (;;) {
        ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
        if (n < 0) return posix_error(p, errno);
        if (size_t(n) < target.size()) {
            target.resize(size_t(n));
            return ok_bytes(p, target);
        }
        target.resize(target.size() * 2);
    }
}

Term prim_file_list_dir_nif(Process& p, Term* args) {
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    DIR* dir = ::opendir(path.c_str());
    if (!dir) return posix_error(p, errno);
    std::vector<std::string> names;
    while (const struct dirent* entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(dir);
    bif::charge(names.size());
    return ok_binaries(p, names);
}

namespace {

// The NIFs of two paths: rename, links.
template <int (*operation)(const char*, const char*)>
Term two_paths(Process& p, Term* args, int (*fix)(int error, const std::string& from)) {
    std::string from, to;
    Term result;
    if (!path_arg(p, args[0], from, result) || !path_arg(p, args[1], to, result)) return result;
    if (operation(from.c_str(), to.c_str()) < 0) return posix_error(p, fix(errno, from));
    return ok_atom();
}

int same_error(int error, const std::string&) {
    return error;
}

// OTP reports a rename over a non-empty directory as eexist, and renaming
// "/" as einval whatever the platform says.
int rename_error(int error, const std::string& from) {
    if (error == ENOTEMPTY) return EEXIST;
    if (from == "/") return EINVAL;
    return error;
}

}  // namespace

Term prim_file_rename_nif(Process& p, Term* args) {
    return two_paths<::rename>(p, args, rename_error);
}

Term prim_file_make_hard_link_nif(Process& p, Term* args) {
    return two_paths<::link>(p, args, same_error);
}

Term prim_file_make_soft_link_nif(Process& p, Term* args) {
    return two_paths<::symlink>(p, args, same_error);
}

Term prim_file_make_dir_nif(Process& p, Term* args) {
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    return ok_or_errno(p, ::mkdir(path.c_str(), 0777) < 0);
}

Term prim_file_del_file_nif(Process& p, Term* args) {
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    if (::unlink(path.c_str()) < 0) return posix_error(p, errno == EISDIR ? EPERM : errno);
    return ok_atom();
}

namespace {

// Whether `path` is the working directory itself.
bool is_cwd(const std::string& path) {
    struct stat dir, cwd;
    return ::stat(path.c_str(), &dir) == 0 && ::stat(".", &cwd) == 0 && dir.st_ino == cwd.st_ino &&
           dir.st_dev == cwd.st_dev;
}

}  // namespace

Term prim_file_del_dir_nif(Process& p, Term* args) {
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    if (::rmdir(path.c_str()) == 0) return ok_atom();
    int error = errno == ENOTEMPTY ? EEXIST : errno;
    if (error == EEXIST && is_cwd(path)) error = EINVAL;
    return posix_error(p, error);
}

Term prim_file_set_cwd_nif(Process& p, Term* args) {
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    return ok_or_errno(p, ::chdir(path.c_str()) < 0);
}

Term prim_file_get_cwd_nif(Process& p, Term*) {
    std::string dir(256, '\0');
    while (!::getcwd(dir.data(), dir.size())) {
        if (errno != ERANGE) return posix_error(p, errno);
        dir.resize(dir.size() * 2);
    }
    dir.resize(std::strlen(dir.c_str()));
    return ok_bytes(p, dir);
}

// Drive letters and short names are Windows'.
Term prim_file_get_device_cwd_nif(Process& p, Term* args) {
    if (!is_small(args[0])) return badarg(p, 1, "not an integer");
    return posix_error(p, ENOTSUP);
}

Term prim_file_altname_nif(Process& p, Term* args) {
    std::string path;
    Term result;
    if (!path_arg(p, args[0], path, result)) return result;
    return posix_error(p, ENOTSUP);
}

// ---- file names: the native encoding is UTF-8 ----------------------------------------

// prim_file:internal_name2native(Name): a flat list of characters as UTF-8,
// or a binary as it is, NUL-terminated.
Term prim_file_internal_name2native(Process& p, Term* args) {
    std::string bytes;
    if (term::is_binary(args[0]))
        binary::append_bytes(bytes, args[0]);
    else if (!term::is_list(args[0]) || !chardata_to_utf8(args[0], bytes))
        return badarg(p, 1, "not a file name");
    bytes.push_back('\0');
    return tagged_bytes(p, kNone, bytes.data(), bytes.size());
}

// prim_file:internal_native2name(Binary): the characters of a UTF-8 name;
// {error, warning} for one that is not UTF-8 (OTP's default, +fnuw: the
// caller logs and skips it).
Term prim_file_internal_native2name(Process& p, Term* args) {
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    std::string bytes;
    binary::append_bytes(bytes, args[0]);
    if (!valid_utf8(bytes))
        return reply::build(p,
                            reply::tuple({reply::atom(atom::kError), reply::atom(atom::kWarning)}));
    return make_unicode_string(p, bytes);
}

// prim_file:internal_normalize_utf8(Binary): the characters of a UTF-8
// binary (Linux keeps names as they are; only macOS normalizes).
Term prim_file_internal_normalize_utf8(Process& p, Term* args) {
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    std::string bytes;
    binary::append_bytes(bytes, args[0]);
    if (!valid_utf8(bytes)) return badarg(p, 1, "invalid UTF-8");
    return make_unicode_string(p, bytes);
}

Term prim_file_is_translatable(Process& p, Term* args) {
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    std::string bytes;
    binary::append_bytes(bytes, args[0]);
    return make_bool(valid_utf8(bytes));
}

}  // namespace impl

}  // namespace bif
