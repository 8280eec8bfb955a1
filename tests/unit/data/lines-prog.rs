// Rust's standard library comes with DWARF 4 line programs: a program
// whose lines test-dwarf-lines compares with libdw's.
fn main() {
    let words: Vec<String> = (0..10).map(|i| format!("w{}", i)).collect();
    println!("{}", words.join(","));
}
