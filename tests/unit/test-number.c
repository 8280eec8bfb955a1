/* The one parser of command-line numbers: whole strings only, no sign,
 * no overflow, ranges inclusive; sizes with K/M/G suffixes. */
#include "number.h"
#include "unit.h"

static void test_numbers(void)
{
	uint64_t v = 7;

	CHECK_INT(parse_number("42", 10, 1, 100, &v), 0);
	CHECK_INT((int)v, 42);
	CHECK_INT(parse_number("0x10", 0, 0, 100, &v), 0);
	CHECK_INT((int)v, 16);
	CHECK_INT(parse_number("0x10", 10, 0, 100, &v), -1);
	CHECK_INT(parse_number("", 10, 0, 100, &v), -1);
	CHECK_INT(parse_number("12abc", 10, 0, 100, &v), -1);
	CHECK_INT(parse_number("-1", 10, 0, UINT64_MAX, &v), -1);
	CHECK_INT(parse_number("0", 10, 1, 100, &v), -1);
	CHECK_INT(parse_number("101", 10, 1, 100, &v), -1);
	CHECK_INT(parse_number("99999999999999999999", 10, 0, UINT64_MAX, &v), -1);
	CHECK_INT(parse_number("18446744073709551615", 10, 0, UINT64_MAX, &v), 0);
	CHECK(v == UINT64_MAX);
}

static void test_sizes(void)
{
	uint64_t v = 0;

	CHECK_INT(parse_size("65536", &v), 0);
	CHECK(v == 65536);
	CHECK_INT(parse_size("64K", &v), 0);
	CHECK(v == 64 * 1024);
	CHECK_INT(parse_size("2g", &v), 0);
	CHECK(v == 2ull << 30);
	CHECK_INT(parse_size("1M", &v), 0);
	CHECK(v == 1 << 20);
	CHECK_INT(parse_size("1X", &v), -1);
	CHECK_INT(parse_size("1KB", &v), -1);
	CHECK_INT(parse_size("-1K", &v), -1);
	CHECK_INT(parse_size("K", &v), -1);
	CHECK_INT(parse_size("17179869184G", &v), -1);
}

int main(void)
{
	test_numbers();
	test_sizes();
	return unit_done();
}
