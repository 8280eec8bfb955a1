/* Long C++ and Rust names shortened for a terminal: innermost arguments
 * first, then the parameters, then the outermost lists; Rust's impl
 * bracket, operators and the "(file:line)" or "+0x1a" that follows kept. */
#include "report.h"
#include "unit.h"

#define STR "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >"

static void check(const char *where, size_t limit, const char *want)
{
	char *got = report_shorten_name(where, limit);

	CHECK_STR(got, want);
	free(got);
}

int main(void)
{
	check("main (a.c:3)", 100, "main (a.c:3)");
	check("app::Store::fill(unsigned long) (x.cc:1)", 10, "app::Store::fill(...) (x.cc:1)");
	check("app::Store::fill(int) (x.cc:1)", 10, "app::Store::fill(int) (x.cc:1)");   /* no shorter */
	/* Innermost first: one level can be enough. */
	check("std::vector<std::pair<int, int>, std::allocator<std::pair<int, int> > >::push_back(int)", 70,
	      "std::vector<std::pair<...>, std::allocator<...> >::push_back(int)");
	check("std::_Rb_tree_iterator<std::pair<" STR " const, int> > std::_Rb_tree<" STR ", std::pair<"
	      STR " const, int>, std::less<" STR "> >::_M_emplace_hint_unique<std::tuple<" STR "&&> >"
	      "(std::_Rb_tree_const_iterator<std::pair<" STR " const, int> >, std::tuple<" STR "&&>&&)"
	      " (new_allocator.h:137)", 100,
	      "std::_Rb_tree_iterator<...> std::_Rb_tree<...>::_M_emplace_hint_unique<...>(...)"
	      " (new_allocator.h:137)");
	/* Rust's impl bracket stays; its type's arguments go. */
	check("<alloc::raw_vec::RawVec<(*mut u8, unsafe extern \"C\" fn(*mut u8)), std::alloc::System>>"
	      "::grow_one+0x1a", 60, "<alloc::raw_vec::RawVec<...>>::grow_one+0x1a");
	check("<alloc::raw_vec::RawVec<(*mut u8, unsafe extern \"C\" fn(*mut u8)), std::alloc::System> as "
	      "core::ops::drop::Drop>::drop (raw_vec.rs:12)", 80,
	      "<alloc::raw_vec::RawVec<...> as core::ops::drop::Drop>::drop (raw_vec.rs:12)");
	/* An operator's brackets are no list. */
	check("std::basic_ostream<char, std::char_traits<char> >& std::operator<< <std::char_traits<char> >"
	      "(std::basic_ostream<char, std::char_traits<char> >&, char const*)", 100,
	      "std::basic_ostream<char, std::char_traits<...> >& std::operator<< <std::char_traits<...> >(...)");
	/* Nothing to shorten: as it is. */
	check("a_c_function_whose_name_is_long (x.c:1)", 10, "a_c_function_whose_name_is_long (x.c:1)");
	check("libfoo.so+0x1234", 4, "libfoo.so+0x1234");
	return unit_failures ? 1 : 0;
}
