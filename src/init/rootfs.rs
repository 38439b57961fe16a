//! The container's filesystem view: mounts, /dev, pivot_root, masked and readonly paths.
