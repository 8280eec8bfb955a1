/* The language runtimes' functions, told from the program's own. */
#include "langrt.h"
#include "unit.h"

#define RUNTIME(name) CHECK(langrt_function(name))
#define PROGRAM(name) CHECK(!langrt_function(name))

int main(void)
{
	PROGRAM(NULL);
	PROGRAM("main");
	PROGRAM("app::Store::fill(int)");
	PROGRAM("float* app::make_table<float>(unsigned long)");
	/* A template instance's return type is not its name. */
	PROGRAM("std::vector<int, std::allocator<int> > app::make<int>()");
	RUNTIME("std::_Rb_tree_iterator<std::pair<int const, int> > std::_Rb_tree<int, std::pair<int const, int>,"
		" std::_Select1st<std::pair<int const, int> >, std::less<int>, std::allocator<std::pair<int const,"
		" int> > >::_M_emplace_hint_unique<int const&>(std::_Rb_tree_const_iterator<std::pair<int const,"
		" int> >, int const&)");
	RUNTIME("void std::vector<int, std::allocator<int> >::_M_realloc_insert<int const&>"
		"(__gnu_cxx::__normal_iterator<int*, std::vector<int, std::allocator<int> > >, int const&)");
	RUNTIME("__gnu_cxx::new_allocator<char>::allocate(unsigned long, void const*)");
	/* Operators' brackets count for nothing. */
	RUNTIME("std::ostream& std::operator<< <std::char_traits<char> >(std::ostream&, char const*)");
	PROGRAM("bool app::operator< <int>(app::Key<int> const&, app::Key<int> const&)");
	PROGRAM("(anonymous namespace)::worker(void*)");
	PROGRAM("main::{lambda(int)#1}::operator()(int) const");
	/* Rust. */
	PROGRAM("rust_names::store::fill");
	PROGRAM("<rust_names::store::Table>::new");
	PROGRAM("<maps::Foo as core::fmt::Display>::fmt");
	PROGRAM("<alloc::string::String as maps::Describe>::describe");
	RUNTIME("std::rt::lang_start_internal");
	RUNTIME("std::rt::lang_start::<()>::{closure#0}");
	RUNTIME("<alloc::raw_vec::RawVecInner>::finish_grow");
	RUNTIME("<alloc::string::String as core::fmt::Write>::write_str");
	RUNTIME("<u64 as core::fmt::Display>::fmt");
	RUNTIME("<[alloc::string::String]>::join");
	RUNTIME("<std::io::default_write_fmt::Adapter<T> as core::fmt::Write>::write_str");
	RUNTIME("hashbrown::raw::RawTable<T,A>::reserve_rehash");
	RUNTIME("__rust_alloc");
	RUNTIME("__rdl_alloc");
	PROGRAM("<unbalanced");
	return unit_failures ? 1 : 0;
}
