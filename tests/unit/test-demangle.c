/* Symbols as compilers mangle them, and the names a person reads
 * (checked against binutils' c++filt, hashes and const types left out
 * as rustc-demangle's alternate form does). */
#include <time.h>

#include "demangle.h"
#include "unit.h"

static void check(const char *symbol, const char *want)
{
	char *got = demangle(symbol);

	if (want)
		CHECK_STR(got, want);
	else if (got) {
		unit_failures++;
		fprintf(stderr, "demangle(\"%s\") is \"%s\", want NULL\n", symbol, got);
	}
	free(got);
}

static void test_not_mangled(void)
{
	check(NULL, NULL);
	check("", NULL);
	check("main", NULL);
	check("malloc", NULL);
	check("app::Store::fill(int)", NULL);     /* already readable */
	check("_Zfoo", NULL);                     /* _Z, yet not a C++ name */
}

static void test_cxx(void)
{
	check("_ZN3app5Store4fillEi", "app::Store::fill(int)");
	check("_ZNKSi6gcountEv", "std::istream::gcount() const");
	check("_Z3foov.cold", "foo() [clone .cold]");
	check("_ZNSt6vectorIiSaIiEE17_M_realloc_insertIJRKiEEEvN9__gnu_cxx17__normal_iteratorIPiS1_EEDpOT_",
	      "void std::vector<int, std::allocator<int> >::_M_realloc_insert<int const&>"
	      "(__gnu_cxx::__normal_iterator<int*, std::vector<int, std::allocator<int> > >, int const&)");
}

/* gfortran's module variables and procedures, as gdb names them. */
static void test_fortran_modules(void)
{
	check("__m_MOD_work", "m::work");
	check("__grid_3d_MOD_apply_bc", "grid_3d::apply_bc");
	check("__m_MOD_", NULL);
	check("___MOD_x", NULL);
	check("__m_MOD_Work", NULL);               /* gfortran lowercases */
	check("__libc_start_main", NULL);
	check("__MOD_x", NULL);
}

static void test_rust_legacy(void)
{
	check("_ZN3std2rt10lang_start17h0123456789abcdefE", "std::rt::lang_start");
	check("_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure"
	      "$u7d$$u7d$$GT$17h0123456789abcdefE",
	      "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>");
	check("_ZN3foo3bar17h0123456789abcdefE.llvm.8723", "foo::bar");
	/* Not a Rust hash (15 digits): read as C++. */
	check("_ZN3foo3bar16h0123456789abcdeE", "foo::bar::h0123456789abcde");
}

static void test_rust_v0(void)
{
	check("_RNvNvMs0_NtNtNtCsjrHSEGnQ3l9_3std3sys6thread4unixNtB7_6Thread3new12thread_start",
	      "<std::sys::thread::unix::Thread>::new::thread_start");
	check("_RNCNvC1a4main0B3_", "a::main::{closure#0}");
	check("_RNvXs_C1aNtB4_1SNtC1b5Trait3run", "<a::S as b::Trait>::run");
	check("_RINvNtNtNtCsgEmfK2I1SDS_4core5slice4sort8unstable7ipnsortNtNtCslNYArtu3iFV_5alloc6string"
	      "6StringNvYBT_NtNtB8_3cmp10PartialOrd2ltECs3TffaVLKYX7_13rustc_session",
	      "core::slice::sort::unstable::ipnsort::<alloc::string::String, "
	      "<alloc::string::String as core::cmp::PartialOrd>::lt>");
	check("_RNvMs3_NtCslNYArtu3iFV_5alloc7raw_vecINtB5_6RawVecTOhFUKCBN_EuENtNtCsjrHSEGnQ3l9_3std5"
	      "alloc6SystemE8grow_oneB13_",
	      "<alloc::raw_vec::RawVec<(*mut u8, unsafe extern \"C\" fn(*mut u8)), std::alloc::System>>::grow_one");
	check("_RINvC1a1fKc61_E", "a::f::<'a'>");
	check("_RINvC1a1fKlnf_E", "a::f::<-15>");
	check("_RINvC1a1fKb1_E", "a::f::<true>");
	check("_RINvC1a1fTlEE", "a::f::<(i32,)>");
	check("_RINvC1a1fAhj4_E", "a::f::<[u8; 4]>");
	check("_RINvC1a1fDG_INtC1b2FnTRL0_hEEp6OutputuEL_E",
	      "a::f::<dyn for<'a> b::Fn<(&'a u8,), Output = ()>>");
	check("_RINvC1a1fFUKCRhEuE", "a::f::<unsafe extern \"C\" fn(&u8)>");
	check("_RNvC1a1f.llvm.123456", "a::f");       /* LTO's suffix: noise */
	check("_RNvC1a1f.0", "a::f.0");               /* a part of a split static */
}

static void test_rust_v0_refused(void)
{
	check("_RNvC1a", NULL);            /* cut short */
	check("_RNvB5_1f", NULL);          /* a backreference forward */
	check("_RNvC1au3abc", NULL);       /* punycode */
	check("_R0NvC1a1f", NULL);         /* an encoding version */
	check("_RNvC1a1fXYZ", NULL);       /* what follows is no crate */
	check("_RNvC1a99999999999999999999999f", NULL);
}

static size_t put_base62(char *p, uint64_t v)
{
	char digits[16];
	size_t n = 0, len = 0;

	if (v--) {
		do
			digits[n++] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[v % 62];
		while ((v /= 62));
	}
	while (n)
		p[len++] = digits[--n];
	p[len++] = '_';
	return len;
}

/* Each tuple holds the one before twice: 2^40 names of a short symbol,
 * printed (bounded by the output's length) or inside an impl's path
 * (parsed unprinted: bounded by the parsing steps). */
static void test_backreference_bombs(void)
{
	for (int in_impl = 0; in_impl < 2; in_impl++) {
		char sym[2048] = "_R";
		size_t len = 2, prev;
		clock_t start = clock();

		len += (size_t)sprintf(sym + len, "%sINvC1a1fTuuE", in_impl ? "NvM" : "");
		prev = len - 2 - 4;
		for (int k = 0; k < 40; k++) {
			size_t at = len - 2;

			sym[len++] = 'T';
			for (int twice = 0; twice < 2; twice++) {
				sym[len++] = 'B';
				len += put_base62(sym + len, prev);
			}
			sym[len++] = 'E';
			prev = at;
		}
		sym[len++] = 'E';
		strcpy(sym + len, in_impl ? "u3new" : "");
		check(sym, NULL);
		CHECK((clock() - start) / (CLOCKS_PER_SEC / 1000) < 1000);
	}
}

int main(void)
{
	test_fortran_modules();
	test_not_mangled();
	test_cxx();
	test_rust_legacy();
	test_rust_v0();
	test_rust_v0_refused();
	test_backreference_bombs();
	return unit_failures ? 1 : 0;
}
