// The targets the package ships a prebuilt binary for (prebuilds/<name>/sdnode.node): the
// compilers to try in order, the Debian package of the first, the ELF machine, and the C
// library the binary must need. The build makes what it can; packing needs them all.
const hostIsGlibc = Boolean(process.report?.getReport().header.glibcVersionRuntime);

/** This machine's target name, e.g. linux-x64 or linux-x64-musl. */
export const hostTarget = `linux-${process.arch}${hostIsGlibc ? '' : '-musl'}`;

export const targets = [
  {
    name: 'linux-x64',
    compilers: ['x86_64-linux-gnu-gcc', ...(hostTarget === 'linux-x64' ? ['gcc'] : [])],
    debian: process.arch === 'x64' ? 'gcc' : 'gcc-x86-64-linux-gnu',
    machine: 'X86-64',
    libc: 'libc.so.6',
  },
  {
    name: 'linux-x64-musl',
    compilers: ['x86_64-linux-musl-gcc', ...(process.arch === 'x64' ? ['musl-gcc'] : [])],
    debian: 'musl-tools',
    machine: 'X86-64',
    libc: 'libc.so',
  },
  {
    name: 'linux-arm64',
    compilers: ['aarch64-linux-gnu-gcc', ...(hostTarget === 'linux-arm64' ? ['gcc'] : [])],
    debian: process.arch === 'arm64' ? 'gcc' : 'gcc-aarch64-linux-gnu',
    machine: 'AArch64',
    libc: 'libc.so.6',
  },
];

/** The addon's C files, compiled together into one sdnode.node (names relative to native/). */
export const sources = ['sdnode.c', 'sd_send.c', 'journal_send.c', 'sd_recv.c', 'sd_listen.c'];
