/* The one parser of command-line numbers: whole strings only, no sign,
 * no overflow, ranges inclusive; sizes with K/M/G suffixes; a profile's
 * lists of ids, JSON's, refused whole when anything else. */
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

static void test_id_lists(void)
{
	static const char *const refused[] = {
		"[1,2,3,4,5]",          /* more than max */
		NULL, "", "[", "[1,2", "[1,]", "[,1]", "[1 2]", "[0]", "[-1]", "[1.5]", "[\"1\"]",
		"[9223372036854775808]", "[1]x", "{1}",
	};
	int64_t ids[4] = { 0 };

	CHECK_INT(parse_id_list("[12,7,3]", ids, 4), 3);
	CHECK(ids[0] == 12 && ids[1] == 7 && ids[2] == 3);
	CHECK_INT(parse_id_list(" [ 1 ,\t2\n, 9223372036854775807 ] ", ids, 4), 3);
	CHECK(ids[2] == INT64_MAX);
	CHECK_INT(parse_id_list("[]", ids, 4), 0);
	CHECK_INT(parse_id_list("[5]", ids, 4), 1);
	CHECK_INT(parse_id_list("[1,2,3,4]", ids, 4), 4);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		CHECK_INT(parse_id_list(refused[i], ids, 4), -1);
}

int main(void)
{
	test_numbers();
	test_sizes();
	test_id_lists();
	return unit_done();
}
