package io.navstar.loader.spec;

/** How a BTF-defined map asks to be pinned ({@code __uint(pinning, LIBBPF_PIN_BY_NAME)}). */
public enum Pinning {
    /** Not pinned: the map lives as long as a descriptor or program holds it. */
    NONE,
    /** Pinned under the loader's pin directory by the map's name, and reused from there when it exists. */
    BY_NAME
}
