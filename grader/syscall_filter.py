"""A seccomp filter that denies the kernel keyring to student code.

The kernel's keyrings are not namespaced: a key that one process adds to its
user keyring (``add_key(..., KEY_SPEC_USER_KEYRING)``) is there for the next
process of the same uid, in another sandbox, in the next grading run; and a
process can read the session keyring it inherited from the grader. Workers
of one job slot share a uid, so without this filter one student could leave
data (a hidden input it saw) for the next worker, or read the instructor's
keys. Bubblewrap's namespaces, ``setpriv`` and resource limits do not touch
keyrings; a seccomp filter does. It makes ``add_key``, ``request_key`` and
``keyctl`` fail with ``EPERM``, for the worker and everything it starts
(filters are inherited and cannot be removed).

The filter is installed by the launcher (:mod:`grader.sandbox` run as a
script) before it ``exec``\\ s bubblewrap or the worker, so it holds with and
without bubblewrap. It is a classic BPF program written here because the
launcher runs with ``python -S`` (standard library only, before the venv)
and Python's standard library has no libseccomp binding; the program is
eight instructions per architecture, each explained below.
"""

import ctypes
import errno
import os
import platform
import struct

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000

# Classic BPF opcodes (linux/filter.h).
BPF_LD_W_ABS = 0x20  # A = 32-bit word at offset k of struct seccomp_data
BPF_JEQ_K = 0x15  # if A == k: skip jt instructions, else skip jf
BPF_RET_K = 0x06  # return k

OFFSET_NR, OFFSET_ARCH = 0, 4  # struct seccomp_data { int nr; __u32 arch; ... }

AUDIT_ARCH_X86_64 = 0xC000003E
AUDIT_ARCH_I386 = 0x40000003
AUDIT_ARCH_AARCH64 = 0xC00000B7
X32_SYSCALL_BIT = 0x40000000

KEYRING_SYSCALLS = {
    # arch: (add_key, request_key, keyctl) in that arch's syscall table
    AUDIT_ARCH_X86_64: (248, 249, 250, X32_SYSCALL_BIT | 248, X32_SYSCALL_BIT | 249, X32_SYSCALL_BIT | 250),
    AUDIT_ARCH_I386: (286, 287, 288),  # int 0x80 from a 64-bit process
    AUDIT_ARCH_AARCH64: (217, 218, 219),
}
"""The denied system calls, per audit architecture (x32 numbers carry bit 30)."""

NATIVE = {"x86_64": AUDIT_ARCH_X86_64, "amd64": AUDIT_ARCH_X86_64, "aarch64": AUDIT_ARCH_AARCH64,
          "arm64": AUDIT_ARCH_AARCH64}


class FilterUnavailable(OSError):
    """This machine cannot install the filter (not Linux, unknown architecture, seccomp off)."""


def _instruction(code, k, jt=0, jf=0):
    return struct.pack("HBBI", code, jt, jf, k)


def build_program(table=None):
    """The BPF program: for each known architecture, deny its keyring calls; allow the rest.

    Layout, per architecture block::

        A = arch; if A != this arch: skip the block
        A = nr;   if A == n1: deny; if A == n2: deny; ...
        allow

    and after the last block ``allow`` (another architecture's calls do not
    reach keyrings through these numbers), then the shared ``deny``.

    Returns
    -------
    program : bytes
        Packed ``struct sock_filter`` instructions.
    """
    table = KEYRING_SYSCALLS if table is None else table
    blocks = []
    for arch, numbers in table.items():
        blocks.append((arch, numbers))
    # Instruction count: per block 2 (load arch, compare) + 1 (load nr) + len(numbers) + 1 (allow).
    sizes = [4 + len(numbers) for _, numbers in blocks]
    total = sum(sizes) + 2  # final allow, deny
    deny_index = total - 1
    program, index = [], 0
    for (arch, numbers), size in zip(blocks, sizes):
        program.append(_instruction(BPF_LD_W_ABS, OFFSET_ARCH))
        program.append(_instruction(BPF_JEQ_K, arch, jt=0, jf=size - 2))  # skip to the next block
        program.append(_instruction(BPF_LD_W_ABS, OFFSET_NR))
        for position, number in enumerate(numbers):
            here = index + 3 + position
            program.append(_instruction(BPF_JEQ_K, number, jt=deny_index - here - 1, jf=0))
        program.append(_instruction(BPF_RET_K, SECCOMP_RET_ALLOW))
        index += size
    program.append(_instruction(BPF_RET_K, SECCOMP_RET_ALLOW))
    program.append(_instruction(BPF_RET_K, SECCOMP_RET_ERRNO | errno.EPERM))
    return b"".join(program)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install():
    """Install the filter on this process (inherited by everything it execs or forks).

    Sets ``no_new_privs`` first, as the kernel requires of an unprivileged
    process (it also stops a setuid binary from gaining privileges later).

    Raises
    ------
    FilterUnavailable
        If the architecture is unknown or the kernel refuses the filter.
    """
    machine = platform.machine().lower()
    if os.uname().sysname != "Linux" or machine not in NATIVE:
        raise FilterUnavailable(f"no keyring filter for {os.uname().sysname} on {machine}")
    program = build_program()
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        raise FilterUnavailable(f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        raise FilterUnavailable(f"prctl(PR_SET_SECCOMP) failed: {os.strerror(ctypes.get_errno())}")


def _self_test():
    """Script mode: install the filter, then prove that add_key is refused; exit 0 if so."""
    install()
    libc = ctypes.CDLL(None, use_errno=True)
    number = KEYRING_SYSCALLS[NATIVE[platform.machine().lower()]][0]
    result = libc.syscall(number, b"user", b"saltlab-probe", b"x", 1, ctypes.c_int(-4))  # KEY_SPEC_USER_KEYRING
    return 0 if result == -1 and ctypes.get_errno() == errno.EPERM else 3


if __name__ == "__main__":
    try:
        raise SystemExit(_self_test())
    except FilterUnavailable as error:
        print(error)
        raise SystemExit(4)
