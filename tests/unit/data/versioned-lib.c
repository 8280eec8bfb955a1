/* A shared object exporting two versions of one function, as glibc does:
 * its .symtab holds "versioned_fn@VER_1" and "versioned_fn@@VER_2". */
__attribute__((noinline)) int versioned_fn_v1(int x) { return x + 1; }
__attribute__((noinline)) int versioned_fn_v2(int x) { return x + 2; }

__asm__(".symver versioned_fn_v1, versioned_fn@VER_1");
__asm__(".symver versioned_fn_v2, versioned_fn@@VER_2");
