// Rust functions in a module and an impl, each allocating 2 MiB: a
// report names them as the source does, in either symbol mangling.
mod store {
    pub struct Table {
        pub v: Vec<u64>,
    }
    impl Table {
        #[inline(never)]
        pub fn new(n: usize) -> Table {
            Table { v: vec![1; n] }
        }
    }
    #[inline(never)]
    pub fn fill(n: usize) -> Vec<u32> {
        vec![2; n]
    }
}

fn main() {
    let t = store::Table::new(1 << 18);
    let f = store::fill(1 << 19);
    println!("{} {}", t.v[7], f[9]);
}
