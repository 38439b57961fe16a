//! Name -> value lookup tables stored compactly: the names as one NUL-separated string, the values in
//! a plain array. A `(&str, T)` array costs 16 bytes of relocated pointer and length per entry on top
//! of the text; here the names cost one separator byte each.

/// Build with [`table!`](crate::table): `table![("ro", MS_RDONLY), ("nodev", MS_NODEV)]`.
pub struct Table<T: 'static> {
    pub names: &'static str,
    pub vals: &'static [T],
}

impl<T> Table<T> {
    /// The value of `name`, if the table has it.
    pub fn get(&self, name: &str) -> Option<&'static T> {
        self.names.split('\0').position(|n| n == name).and_then(|i| self.vals.get(i))
    }

    /// The names in table order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + use<T> {
        let n = self.vals.len();
        self.names.split('\0').take(n)
    }
}

/// `table![("name", value), ...]`: a [`Table`] constant.
#[macro_export]
macro_rules! table {
    ($(($name:literal, $val:expr)),* $(,)?) => {
        $crate::rt::table::Table { names: concat!($($name, "\0"),*), vals: &[$($val),*] }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_and_names() {
        const T: Table<u8> = crate::table![("a", 1), ("bc", 2), ("", 3)];
        assert_eq!((T.get("a"), T.get("bc"), T.get(""), T.get("x")), (Some(&1), Some(&2), Some(&3), None));
        assert_eq!(T.names().collect::<alloc::vec::Vec<_>>(), ["a", "bc", ""]);
    }
}
