// SPDX-License-Identifier: GPL-2.0
/*
 * kvmini: run a guest on the host's KVM or on kvmini's own.
 *   kvmini run [options] IMAGE [-- guest args]
 *   kvmini info [--backend soft|kvm|auto] [--cpu-model M]
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/backend.h"
#include "vmm/exit_status.h"
#include "vmm/loader/loader.h"
#include "vmm/parse.h"
#include "vmm/sandbox.h"
#include "vmm/stats.h"
#include "vmm/vm.h"

#define DEFAULT_MEM (128ULL << 20)

static const char usage_main[] =
    "usage: kvmini <command> [options]\n"
    "\n"
    "commands:\n"
    "  run   IMAGE [-- guest args]   run a guest (kvmini run --help)\n"
    "  info                          show a backend (kvmini info --help)\n"
    "\n"
    "exit status of kvmini run:\n"
    "  0     the guest halted (HLT with nothing to wake it: no irqchip),\n"
    "        powered off (ACPI S5), or asked for a reset (i8042 0xFE, 0xcf9;\n"
    "        kvmini does not reboot, like QEMU -no-reboot), or Ctrl-A X was\n"
    "        typed on the console\n"
    "  odd   the guest wrote v to the exit port 0xf4 (QEMU isa-debug-exit\n"
    "        compatible): status (v*2+1) & 0xff\n"
    "  2     bad command line\n"
    "  126   monitor or backend error (image, memory, KVM ioctl, KVM_RUN,\n"
    "        a system call the sandbox forbids)\n"
    "  128   the guest crashed: triple fault, VM entry failure, KVM\n"
    "        internal error, or an exit kvmini does not handle\n"
    "  (statuses kvmini chooses are even, so they never collide with\n"
    "   the exit port's odd ones)\n"
    "\n"
    "environment:\n"
    "  KVMINI_DEV_KVM=PATH   use PATH instead of /dev/kvm (tests)\n"
    "  KVMINI_SANDBOX_PROBE=1  kvmini run makes a socket once the sandbox\n"
    "                        is in place, which must stop it (tests)\n";

static const char usage_run[] =
    "usage: kvmini run [options] IMAGE [-- guest args]\n"
    "       kvmini run [options] --kernel FILE [--initrd FILE] [--append "
    "STRING]\n"
    "\n"
    "options:\n"
    "  --backend auto|kvm|soft  kvm: the host's /dev/kvm; soft: kvmini's own\n"
    "                           KVM on its software CPU; auto (default): kvm\n"
    "                           when /dev/kvm opens and works, else soft\n"
    "  --mem SIZE               guest RAM, e.g. 64M, 1G (default 128M;\n"
    "                           1M..64G; above 3G RAM continues at 4G,\n"
    "                           [3G,4G) is the MMIO hole)\n"
    "  --cpus N                 create N vCPUs (1..64, default 1). Without an\n"
    "                           in-kernel irqchip (all but Linux guests) only\n"
    "                           vCPU 0 runs: the APs stay parked, as nothing\n"
    "                           can deliver INIT/SIPI to them yet\n"
    "  --cpu-model M            CPU model of the soft backend (features\n"
    "                           switched off with -name, e.g. "
    "\"default,-ept\");\n"
    "                           implies --backend soft when --backend is auto\n"
    "  --trace                  log every exit and each unclaimed port/MMIO\n"
    "                           access to stderr\n"
    "  --flat                   IMAGE is a flat binary (also implied by a "
    ".bin\n"
    "                           file name)\n"
    "  --load-addr A            load address of a flat binary (default "
    "0x7c00)\n"
    "  --initrd FILE            initramfs for a Linux kernel\n"
    "  --kernel FILE            the same as giving IMAGE\n"
    "  --append STRING          the guest command line (instead of -- args)\n"
    "  --irqchip                in-kernel irqchip and PIT for any guest "
    "(Linux\n"
    "                           guests get them anyway): HLT then waits for\n"
    "                           interrupts inside KVM, and all vCPUs run\n"
    "  --stats                  at exit, print to stderr: time from process\n"
    "                           start to the first guest instruction (vCPU\n"
    "                           0's first KVM_RUN), total wall and CPU time,\n"
    "                           peak RSS, guest RAM touched (mincore) and in\n"
    "                           RSS, and kvmini's own memory (peak RSS minus\n"
    "                           the guest's part)\n"
    "  --no-sandbox             do not confine the monitor: by default, once\n"
    "                           the VM is built, a seccomp filter allows only\n"
    "                           the system calls the run loop needs (no open,\n"
    "                           exec, fork, socket, ...); a forbidden call\n"
    "                           is named on stderr and ends kvmini (126)\n"
    "  -h, --help               this help\n"
    "\n"
    "image formats, detected by content: multiboot v1 (header in the first\n"
    "8 KiB; EAX=0x2BADB002, EBX=info with memory map and the guest args as\n"
    "command line), ELF32 i386 (32-bit protected mode, paging off), ELF64\n"
    "x86-64 (long mode, identity-mapped RAM), Linux bzImage (64-bit boot\n"
    "protocol) or PVH vmlinux (guest args = kernel command line; these get\n"
    "the in-kernel irqchip and PIT where the backend has them, and all\n"
    "vCPUs run, the APs waiting for INIT/SIPI in KVM). Flat binaries only with "
    "--flat\n"
    "or .bin: real mode, CS:IP=0:A, SP=A, DL=0x80, like a BIOS boot sector.\n"
    "\n"
    "devices: 8250 UART at 0x3f8 (the console), exit port at 0xf4.\n"
    "Unclaimed ports and MMIO read all ones and ignore writes.\n"
    "\n"
    "console: the UART's output goes to stdout, its input comes from stdin\n"
    "(with the receive interrupt when the irqchip exists).\n"
    "  stdin a terminal: raw mode while the guest runs (every key goes to\n"
    "  the guest, Ctrl-C included), restored on every exit path (guest\n"
    "  exit, errors, SIGINT/SIGTERM/SIGHUP, crashes). Escapes, Ctrl-A then:\n"
    "    X       quit kvmini (status 0, \"kvmini: terminated by Ctrl-A X\")\n"
    "    Ctrl-A  send a literal Ctrl-A to the guest\n"
    "    H       list the escapes\n"
    "  stdin a pipe or file: bytes pass through unchanged (no escapes);\n"
    "  they wait while the guest reads nothing, and EOF just ends input\n"
    "  (the guest keeps running). A stalled stdout delays the guest but\n"
    "  never blocks a stop.\n";

static const char usage_info[] =
    "usage: kvmini info [--backend soft|kvm|auto] [--cpu-model M]\n"
    "\n"
    "  --backend soft (default)  load kvmini's KVM for the CPU model and show\n"
    "                            its init chain as it ran (vmx_init ->\n"
    "                            kvm_init -> ... -> alloc_kvm_area)\n"
    "  --backend kvm             the host's /dev/kvm: API version, vCPU mmap\n"
    "                            size, capabilities, vendor module and its\n"
    "                            parameters\n"
    "  --cpu-model M             CPU model for the soft backend\n";

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "kvmini%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'kvmini%s%s --help'.\n", cmd ? " " : "",
		cmd ? cmd : "");
	return VMM_EXIT_USAGE;
}

/* "--name VALUE" or "--name=VALUE"; advances *i past what it used. */
static bool opt_value(char **argv, int argc, int *i, const char *name,
		      const char **val, bool *missing)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return false;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return true;
	}
	if (argv[*i][n])
		return false;
	if (*i + 1 >= argc) {
		*missing = true;
		return true;
	}
	*val = argv[++*i];
	return true;
}

struct run_args {
	enum vmm_backend_kind backend;
	const char *cpu_model;
	struct vm_config cfg;
	struct load_opts load;
	char *cmdline;
	bool irqchip;
	bool stats;
	bool no_sandbox;
};

static int open_backend(struct vmm_backend *b, enum vmm_backend_kind kind,
			const char *cpu_model)
{
	char err[512] = "", kerr[512] = "";
	int r;

	if (kind == VMM_BACKEND_AUTO) {
		if (cpu_model)
			kind = VMM_BACKEND_SOFT;
		else if (vmm_backend_open(b, VMM_BACKEND_KVM, NULL, kerr,
					  sizeof(kerr)) >= 0)
			return 0;
		else
			kind = VMM_BACKEND_SOFT;
	}
	r = vmm_backend_open(b, kind, cpu_model, err, sizeof(err));
	if (r < 0) {
		if (kerr[0])
			fprintf(stderr, "kvmini: %s\n", kerr);
		fprintf(stderr, "kvmini: %s\n", err);
		return r;
	}
	if (kerr[0])
		fprintf(stderr, "kvmini: note: %s; using --backend soft\n",
			kerr);
	return 0;
}

static int parse_run(int argc, char **argv, struct run_args *a)
{
	const char *image = NULL, *append = NULL, *val;
	size_t clen = 0;
	uint64_t u;
	int i;

	for (i = 1; i < argc; i++) {
		bool missing = false;
		char *s = argv[i];

		if (!strcmp(s, "--")) {
			i++;
			break;
		}
		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			fputs(usage_run, stdout);
			return 1;
		} else if (!strcmp(s, "--trace")) {
			a->cfg.trace = true;
		} else if (!strcmp(s, "--flat")) {
			a->load.flat = true;
		} else if (!strcmp(s, "--irqchip")) {
			a->irqchip = true;
		} else if (!strcmp(s, "--stats")) {
			a->stats = true;
		} else if (!strcmp(s, "--no-sandbox")) {
			a->no_sandbox = true;
		} else if (opt_value(argv, argc, &i, "--kernel", &val,
				     &missing)) {
			if (missing)
				goto missing;
			if (image)
				return -usage_error("run",
						    "two images: '%s' "
						    "and --kernel",
						    image);
			image = val;
		} else if (opt_value(argv, argc, &i, "--append", &val,
				     &missing)) {
			if (missing)
				goto missing;
			append = val;
		} else if (opt_value(argv, argc, &i, "--backend", &val,
				     &missing)) {
			if (missing)
				goto missing;
			if (vmm_backend_parse(val, &a->backend) < 0)
				return -usage_error("run",
						    "bad --backend '%s' "
						    "(auto, kvm or soft)",
						    val);
		} else if (opt_value(argv, argc, &i, "--mem", &val, &missing)) {
			if (missing)
				goto missing;
			if (vmm_parse_size(val, &u) < 0 || u < GM_MIN_SIZE ||
			    u > GM_MAX_SIZE)
				return -usage_error("run",
						    "bad --mem '%s' "
						    "(a size from 1M to 64G, "
						    "e.g. 128M)",
						    val);
			a->cfg.ram_size = (u + 0xfff) & ~0xfffULL;
		} else if (opt_value(argv, argc, &i, "--cpus", &val,
				     &missing)) {
			if (missing)
				goto missing;
			if (vmm_parse_u64(val, &u) < 0 || u < 1 ||
			    u > VM_MAX_VCPUS)
				return -usage_error("run",
						    "bad --cpus '%s' "
						    "(1 to 64)",
						    val);
			a->cfg.nr_vcpus = u;
		} else if (opt_value(argv, argc, &i, "--cpu-model", &val,
				     &missing)) {
			if (missing)
				goto missing;
			a->cpu_model = val;
		} else if (opt_value(argv, argc, &i, "--initrd", &val,
				     &missing)) {
			if (missing)
				goto missing;
			a->load.initrd = val;
		} else if (opt_value(argv, argc, &i, "--load-addr", &val,
				     &missing)) {
			if (missing)
				goto missing;
			if (vmm_parse_u64(val, &u) < 0)
				return -usage_error("run",
						    "bad --load-addr "
						    "'%s'",
						    val);
			a->load.load_addr = u;
			a->load.load_addr_set = true;
		} else if (s[0] == '-' && s[1]) {
			return -usage_error("run", "unknown option '%s'", s);
		} else if (image) {
			return -usage_error("run",
					    "unexpected argument '%s' "
					    "(guest args go after --)",
					    s);
		} else {
			image = s;
		}
		continue;
	missing:
		return -usage_error("run", "option '%s' needs a value", s);
	}
	if (!image)
		return -usage_error("run", "%s", "no IMAGE given");
	a->load.path = image;
	if (append && i < argc)
		return -usage_error("run", "%s",
				    "give the guest command "
				    "line either with --append or after --, "
				    "not both");
	if (append) {
		a->cmdline = strdup(append);
		if (!a->cmdline)
			return -VMM_EXIT_MONITOR;
		a->load.cmdline = a->cmdline;
	}
	for (int j = i; j < argc; j++)
		clen += strlen(argv[j]) + 1;
	if (clen) {
		a->cmdline = calloc(1, clen);
		if (!a->cmdline)
			return -VMM_EXIT_MONITOR;
		for (int j = i; j < argc; j++) {
			if (j > i)
				strcat(a->cmdline, " ");
			strcat(a->cmdline, argv[j]);
		}
		a->load.cmdline = a->cmdline;
	}
	if (a->cpu_model && a->backend == VMM_BACKEND_KVM)
		return -usage_error("run", "%s",
				    "--cpu-model applies to "
				    "--backend soft only");
	return 0;
}

/*
 * KVMINI_SANDBOX_PROBE (tests): once the sandbox is in place, start a
 * thread (as the run loop does) and make a socket from it: the filter must
 * allow the thread, pass itself on to it and end kvmini at the socket.
 * Without the sandbox the run goes on.
 */
static void *sandbox_probe_thread(void *arg)
{
	bool no_sandbox = *(bool *)arg;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	fprintf(
	    stderr, "kvmini: sandbox probe: socket() in a new thread %s%s\n",
	    fd >= 0 ? "succeeded" : "failed",
	    no_sandbox ? " (--no-sandbox)" : ", the sandbox did not stop it");
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void sandbox_probe(bool no_sandbox)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, sandbox_probe_thread, &no_sandbox);

	if (r) {
		fprintf(stderr, "kvmini: sandbox probe: no thread: %s\n",
			strerror(r));
		return;
	}
	pthread_join(t, NULL);
}

static int cmd_run(int argc, char **argv)
{
	struct run_args a = {.backend = VMM_BACKEND_AUTO};
	struct vmm_stats st;
	struct vmm_backend b;
	struct boot_state bs;
	struct guest_mem mem;
	struct vm vm;
	char err[512];
	int r, status;

	a.cfg.ram_size = DEFAULT_MEM;
	a.cfg.nr_vcpus = 1;
	a.cfg.console_out = STDOUT_FILENO;
	a.cfg.console_in = STDIN_FILENO;
	r = parse_run(argc, argv, &a);
	if (r) {
		free(a.cmdline);
		return r > 0 ? 0 : -r;
	}
	if (a.stats) {
		vmm_stats_init(&st);
		st.ram_size = a.cfg.ram_size;
		st.nr_vcpus = a.cfg.nr_vcpus;
	}
	/* Image problems are reported before any backend work. */
	r = gm_alloc(&mem, a.cfg.ram_size);
	if (r < 0) {
		fprintf(stderr,
			"kvmini: cannot allocate %llu MiB of guest "
			"RAM: %s\n",
			(unsigned long long)a.cfg.ram_size >> 20, strerror(-r));
		status = VMM_EXIT_MONITOR;
		goto out;
	}
	r = vmm_load_image(&mem, &a.load, &bs, err, sizeof(err));
	if (r < 0 || open_backend(&b, a.backend, a.cpu_model) < 0) {
		if (r < 0)
			fprintf(stderr, "kvmini: %s\n", err);
		else
			boot_state_free(&bs);
		if (a.stats)
			vmm_stats_measure_guest(&st, &mem);
		gm_free(&mem);
		status = VMM_EXIT_MONITOR;
		goto out;
	}
	if (a.stats) {
		vmm_stats_wrap_backend(&b);
		st.backend = b.name;
	}
	status = VMM_EXIT_MONITOR;
	a.cfg.irqchip = a.irqchip || bs.mode == BOOT_LINUX;
	r = vm_create(&vm, &b, &a.cfg, &mem, err, sizeof(err));
	if (r >= 0)
		r = vm_set_boot_state(&vm, &bs, err, sizeof(err));
	if (r >= 0 && a.stats)
		vmm_stats_set_vcpu0(vm.vcpus[0].fd);
	/* The machine is built: from here on only the run loop's syscalls. */
	if (r >= 0 && !a.no_sandbox)
		r = vmm_sandbox_enter(!strcmp(b.name, "kvm"),
				      !strcmp(b.name, "soft"), err,
				      sizeof(err));
	if (r >= 0 && getenv("KVMINI_SANDBOX_PROBE"))
		sandbox_probe(a.no_sandbox);
	if (r < 0) {
		fprintf(stderr, "kvmini: %s\n", err);
	} else {
		if (a.cfg.trace)
			fprintf(stderr,
				"kvmini: trace: backend %s, %s image, "
				"entry %#llx, %llu MiB, %d vCPU(s)%s\n",
				b.name, bs.format, (unsigned long long)bs.rip,
				(unsigned long long)a.cfg.ram_size >> 20,
				a.cfg.nr_vcpus,
				a.no_sandbox ? ", no sandbox" : ", sandboxed");
		status = vm_run(&vm);
	}
	if (a.stats)
		vmm_stats_measure_guest(&st, &vm.mem);
	vm_destroy(&vm);
	boot_state_free(&bs);
	vmm_backend_close(&b);
out:
	if (a.stats)
		vmm_stats_print(&st, status, stderr);
	free(a.cmdline);
	return status;
}

static int cmd_info(int argc, char **argv)
{
	enum vmm_backend_kind kind = VMM_BACKEND_SOFT;
	const char *model = NULL, *val;
	struct vmm_backend b;
	int r = 0;

	for (int i = 1; i < argc; i++) {
		bool missing = false;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_info, stdout);
			return 0;
		} else if (opt_value(argv, argc, &i, "--backend", &val,
				     &missing)) {
			if (missing)
				return usage_error("info",
						   "option '%s' needs "
						   "a value",
						   "--backend");
			if (vmm_backend_parse(val, &kind) < 0)
				return usage_error("info",
						   "bad --backend '%s' "
						   "(soft, kvm or auto)",
						   val);
		} else if (opt_value(argv, argc, &i, "--cpu-model", &val,
				     &missing)) {
			if (missing)
				return usage_error("info",
						   "option '%s' needs "
						   "a value",
						   "--cpu-model");
			model = val;
		} else {
			return usage_error("info", "unexpected argument '%s'",
					   argv[i]);
		}
	}
	if (model && kind == VMM_BACKEND_KVM)
		return usage_error("info", "%s",
				   "--cpu-model applies to "
				   "--backend soft only");
	if (open_backend(&b, kind, model) < 0)
		return VMM_EXIT_MONITOR;
	fflush(stdout);
	if (!strcmp(b.name, "kvm"))
		r = vmm_kvm_print_info(&b, stdout);
	else
		r = vmm_backend_soft_report(stdout);
	if (r < 0)
		fprintf(stderr, "kvmini: backend %s: no report: %s\n", b.name,
			strerror(-r));
	fflush(stdout);
	vmm_backend_close(&b);
	return r < 0 ? VMM_EXIT_MONITOR : 0;
}

int main(int argc, char **argv)
{
	/* A closed stdout must not kill us in the middle of a guest write. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		return usage_error(NULL, "%s", "no command given");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "info"))
		return cmd_info(argc - 1, argv + 1);
	return usage_error(NULL, "unknown command '%s'", argv[1]);
}
