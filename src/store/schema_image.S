/* The empty profile (tools/schema-image.c made it at build time). */
	.section .rodata
	.balign 64
	.globl db_schema_image
	.globl db_schema_image_end
db_schema_image:
	.incbin "src/store/schema.img"
db_schema_image_end:
	.section .note.GNU-stack, "", @progbits
