/* The watchdog program (watchdog/, a static ELF file), embedded: numamma
 * execs it from a memfd. */
	.section .rodata
	.balign 64
	.globl watchdog_blob
	.globl watchdog_blob_end
watchdog_blob:
	.incbin "watchdog/watchdog.elf"
watchdog_blob_end:
	.section .note.GNU-stack, "", @progbits
