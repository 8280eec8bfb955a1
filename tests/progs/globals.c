/* Global and file-static variables of known sizes, in .bss, .data and
 * .rodata.  Prints "name|size|address" for each, the static objects
 * numamma must record.  "globals SECONDS" then reads global_table over
 * and over for that long (a small static that samples hit). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int global_counter;
double global_table[512] = { 1.0 };
const char global_message[] = "hello numamma";
static char file_static_buf[3000];
static long file_static_init[7] = { 1 };
/* Pages of .bss past the file's last page: mapped anonymous, yet part
 * of the module. */
static char big_bss[1 << 20];

#define SHOW(var) printf("%s|%zu|%lu\n", #var, sizeof(var), (unsigned long)&(var))

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void read_table_for(double secs)
{
	double end = seconds() + secs, sum = 0;

	while (seconds() < end)
		for (int round = 0; round < 1000; round++)
			for (int i = 0; i < 512; i++)
				sum += ((volatile double *)global_table)[i];
	printf("sum %s\n", sum >= 0 ? "ok" : "negative");
}

int main(int argc, char **argv)
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
	if (argc > 1)
		read_table_for(atof(argv[1]));
	return 0;
}
