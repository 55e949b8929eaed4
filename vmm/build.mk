# vmm/: the seccomp sandbox (vmm/sandbox.c) links libseccomp.
LDLIBS += -lseccomp
