/* The agent's code (agent/, linked by agent/agent.lds), embedded. */
	.section .rodata
	.balign 64
	.globl agent_blob
	.globl agent_blob_end
agent_blob:
	.incbin "agent/agent.bin"
agent_blob_end:
	.section .note.GNU-stack, "", @progbits
