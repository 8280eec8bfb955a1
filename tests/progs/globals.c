/* Global and file-static variables of known sizes, in .bss, .data and
 * .rodata.  Prints "name|size|address" for each, the static objects
 * numamma must record. */
#include <stdio.h>

int global_counter;
double global_table[512] = { 1.0 };
const char global_message[] = "hello numamma";
static char file_static_buf[3000];
static long file_static_init[7] = { 1 };
/* Pages of .bss past the file's last page: mapped anonymous, yet part
 * of the module. */
static char big_bss[1 << 20];

#define SHOW(var) printf("%s|%zu|%lu\n", #var, sizeof(var), (unsigned long)&(var))

int main(void)
{
	file_static_buf[0] = global_message[0];
	big_bss[sizeof(big_bss) - 1] = 1;
	global_counter = (int)global_table[0] + (int)file_static_init[0];
	SHOW(global_counter);
	SHOW(global_table);
	SHOW(global_message);
	SHOW(file_static_buf);
	SHOW(file_static_init);
	SHOW(big_bss);
	return 0;
}
