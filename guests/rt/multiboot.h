/* Multiboot v1 header constants, shared by entry32.S and entry64.S. */
#define MB_HEADER_MAGIC 0x1BADB002
/* bit 0: page-align modules, bit 1: we want mem_* and the memory map */
#define MB_HEADER_FLAGS 0x00000003
#define MB_HEADER_CSUM	(-(MB_HEADER_MAGIC + MB_HEADER_FLAGS))

#define STACK_SIZE 16384
