package io.navstar.sys.bpf;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The members of {@code union bpf_attr} (include/uapi/linux/bpf.h) that the loader fills, one
 * {@link StructLayout} per command group, with the byte offsets derived from the layouts. The kernel reads
 * {@code min(size, sizeof(union bpf_attr))} bytes and needs every byte past what it knows to be zero, so each
 * call passes its own layout's size. Pure constants; safe from any thread.
 */
public final class BpfAttr {
    private BpfAttr() {
    }

    /** BPF_MAP_CREATE: the anonymous struct that begins with map_type. */
    public static final StructLayout MAP_CREATE = MemoryLayout.structLayout(
            JAVA_INT.withName("map_type"),
            JAVA_INT.withName("key_size"),
            JAVA_INT.withName("value_size"),
            JAVA_INT.withName("max_entries"),
            JAVA_INT.withName("map_flags"),
            JAVA_INT.withName("inner_map_fd"),
            JAVA_INT.withName("numa_node"),
            MemoryLayout.sequenceLayout(16, java.lang.foreign.ValueLayout.JAVA_BYTE).withName("map_name"),
            JAVA_INT.withName("map_ifindex"),
            JAVA_INT.withName("btf_fd"),
            JAVA_INT.withName("btf_key_type_id"),
            JAVA_INT.withName("btf_value_type_id"),
            JAVA_INT.withName("btf_vmlinux_value_type_id"),
            JAVA_LONG.withName("map_extra"));
    public static final long MAP_CREATE_TYPE = offset(MAP_CREATE, "map_type");
    public static final long MAP_CREATE_KEY_SIZE = offset(MAP_CREATE, "key_size");
    public static final long MAP_CREATE_VALUE_SIZE = offset(MAP_CREATE, "value_size");
    public static final long MAP_CREATE_MAX_ENTRIES = offset(MAP_CREATE, "max_entries");
    public static final long MAP_CREATE_FLAGS = offset(MAP_CREATE, "map_flags");
    public static final long MAP_CREATE_INNER_MAP_FD = offset(MAP_CREATE, "inner_map_fd");
    public static final long MAP_CREATE_NAME = offset(MAP_CREATE, "map_name");
    public static final long MAP_CREATE_BTF_FD = offset(MAP_CREATE, "btf_fd");
    public static final long MAP_CREATE_BTF_KEY = offset(MAP_CREATE, "btf_key_type_id");
    public static final long MAP_CREATE_BTF_VALUE = offset(MAP_CREATE, "btf_value_type_id");

    /** BPF_MAP_*_ELEM and BPF_MAP_GET_NEXT_KEY: map_fd, key, value (or next_key), flags. */
    public static final StructLayout MAP_ELEM = MemoryLayout.structLayout(
            JAVA_INT.withName("map_fd"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("key"),
            JAVA_LONG.withName("value"),
            JAVA_LONG.withName("flags"));
    public static final long ELEM_MAP_FD = offset(MAP_ELEM, "map_fd");
    public static final long ELEM_KEY = offset(MAP_ELEM, "key");
    public static final long ELEM_VALUE = offset(MAP_ELEM, "value");
    public static final long ELEM_FLAGS = offset(MAP_ELEM, "flags");

    /** BPF_MAP_{LOOKUP,UPDATE,DELETE}_BATCH: the "batch" struct. */
    public static final StructLayout MAP_BATCH = MemoryLayout.structLayout(
            JAVA_LONG.withName("in_batch"),
            JAVA_LONG.withName("out_batch"),
            JAVA_LONG.withName("keys"),
            JAVA_LONG.withName("values"),
            JAVA_INT.withName("count"),
            JAVA_INT.withName("map_fd"),
            JAVA_LONG.withName("elem_flags"),
            JAVA_LONG.withName("flags"));
    public static final long BATCH_IN = offset(MAP_BATCH, "in_batch");
    public static final long BATCH_OUT = offset(MAP_BATCH, "out_batch");
    public static final long BATCH_KEYS = offset(MAP_BATCH, "keys");
    public static final long BATCH_VALUES = offset(MAP_BATCH, "values");
    public static final long BATCH_COUNT = offset(MAP_BATCH, "count");
    public static final long BATCH_MAP_FD = offset(MAP_BATCH, "map_fd");
    public static final long BATCH_ELEM_FLAGS = offset(MAP_BATCH, "elem_flags");

    /** BPF_PROG_LOAD, up to log_true_size (kernel 6.4+ reports the log size it needed there). */
    public static final StructLayout PROG_LOAD = MemoryLayout.structLayout(
            JAVA_INT.withName("prog_type"),
            JAVA_INT.withName("insn_cnt"),
            JAVA_LONG.withName("insns"),
            JAVA_LONG.withName("license"),
            JAVA_INT.withName("log_level"),
            JAVA_INT.withName("log_size"),
            JAVA_LONG.withName("log_buf"),
            JAVA_INT.withName("kern_version"),
            JAVA_INT.withName("prog_flags"),
            MemoryLayout.sequenceLayout(16, java.lang.foreign.ValueLayout.JAVA_BYTE).withName("prog_name"),
            JAVA_INT.withName("prog_ifindex"),
            JAVA_INT.withName("expected_attach_type"),
            JAVA_INT.withName("prog_btf_fd"),
            JAVA_INT.withName("func_info_rec_size"),
            JAVA_LONG.withName("func_info"),
            JAVA_INT.withName("func_info_cnt"),
            JAVA_INT.withName("line_info_rec_size"),
            JAVA_LONG.withName("line_info"),
            JAVA_INT.withName("line_info_cnt"),
            JAVA_INT.withName("attach_btf_id"),
            JAVA_INT.withName("attach_prog_fd"),
            JAVA_INT.withName("core_relo_cnt"),
            JAVA_LONG.withName("fd_array"),
            JAVA_LONG.withName("core_relos"),
            JAVA_INT.withName("core_relo_rec_size"),
            JAVA_INT.withName("log_true_size"));
    public static final long PROG_TYPE = offset(PROG_LOAD, "prog_type");
    public static final long PROG_INSN_CNT = offset(PROG_LOAD, "insn_cnt");
    public static final long PROG_INSNS = offset(PROG_LOAD, "insns");
    public static final long PROG_LICENSE = offset(PROG_LOAD, "license");
    public static final long PROG_LOG_LEVEL = offset(PROG_LOAD, "log_level");
    public static final long PROG_LOG_SIZE = offset(PROG_LOAD, "log_size");
    public static final long PROG_LOG_BUF = offset(PROG_LOAD, "log_buf");
    public static final long PROG_NAME = offset(PROG_LOAD, "prog_name");
    public static final long PROG_EXPECTED_ATTACH_TYPE = offset(PROG_LOAD, "expected_attach_type");
    public static final long PROG_BTF_FD = offset(PROG_LOAD, "prog_btf_fd");
    public static final long PROG_FUNC_INFO_REC_SIZE = offset(PROG_LOAD, "func_info_rec_size");
    public static final long PROG_FUNC_INFO = offset(PROG_LOAD, "func_info");
    public static final long PROG_FUNC_INFO_CNT = offset(PROG_LOAD, "func_info_cnt");
    public static final long PROG_LINE_INFO_REC_SIZE = offset(PROG_LOAD, "line_info_rec_size");
    public static final long PROG_LINE_INFO = offset(PROG_LOAD, "line_info");
    public static final long PROG_LINE_INFO_CNT = offset(PROG_LOAD, "line_info_cnt");
    public static final long PROG_LOG_TRUE_SIZE = offset(PROG_LOAD, "log_true_size");

    /** BPF_OBJ_PIN and BPF_OBJ_GET. */
    public static final StructLayout OBJ = MemoryLayout.structLayout(
            JAVA_LONG.withName("pathname"),
            JAVA_INT.withName("bpf_fd"),
            JAVA_INT.withName("file_flags"),
            JAVA_INT.withName("path_fd"),
            MemoryLayout.paddingLayout(4));
    public static final long OBJ_PATHNAME = offset(OBJ, "pathname");
    public static final long OBJ_BPF_FD = offset(OBJ, "bpf_fd");
    public static final long OBJ_FILE_FLAGS = offset(OBJ, "file_flags");

    /** BPF_BTF_LOAD, up to btf_log_true_size. */
    public static final StructLayout BTF_LOAD = MemoryLayout.structLayout(
            JAVA_LONG.withName("btf"),
            JAVA_LONG.withName("btf_log_buf"),
            JAVA_INT.withName("btf_size"),
            JAVA_INT.withName("btf_log_size"),
            JAVA_INT.withName("btf_log_level"),
            JAVA_INT.withName("btf_log_true_size"));
    public static final long BTF_DATA = offset(BTF_LOAD, "btf");
    public static final long BTF_LOG_BUF = offset(BTF_LOAD, "btf_log_buf");
    public static final long BTF_SIZE = offset(BTF_LOAD, "btf_size");
    public static final long BTF_LOG_SIZE = offset(BTF_LOAD, "btf_log_size");
    public static final long BTF_LOG_LEVEL = offset(BTF_LOAD, "btf_log_level");

    /** BPF_LINK_CREATE with the tcx member of its union (the largest one the loader uses). */
    public static final StructLayout LINK_CREATE = MemoryLayout.structLayout(
            JAVA_INT.withName("prog_fd"),
            JAVA_INT.withName("target_fd"),
            JAVA_INT.withName("attach_type"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("relative_fd"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("expected_revision"));
    public static final long LINK_PROG_FD = offset(LINK_CREATE, "prog_fd");
    public static final long LINK_TARGET = offset(LINK_CREATE, "target_fd");
    public static final long LINK_ATTACH_TYPE = offset(LINK_CREATE, "attach_type");
    public static final long LINK_FLAGS = offset(LINK_CREATE, "flags");

    /** Commands that take one descriptor: BPF_LINK_DETACH (link_fd), BPF_MAP_FREEZE (map_fd). */
    public static final StructLayout FD_ONLY = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"),
            MemoryLayout.paddingLayout(4));
    public static final long FD_ONLY_FD = offset(FD_ONLY, "fd");

    /**
     * BPF_PROG_GET_NEXT_ID and BPF_PROG_GET_FD_BY_ID: the anonymous struct whose first member is start_id, or
     * prog_id in the same place.
     */
    public static final StructLayout GET_ID = MemoryLayout.structLayout(
            JAVA_INT.withName("start_id"),
            JAVA_INT.withName("next_id"),
            JAVA_INT.withName("open_flags"));
    public static final long GET_ID_START_ID = offset(GET_ID, "start_id");
    public static final long GET_ID_NEXT_ID = offset(GET_ID, "next_id");
    public static final long GET_ID_OPEN_FLAGS = offset(GET_ID, "open_flags");

    /** BPF_ENABLE_STATS: the enable_stats struct. */
    public static final StructLayout ENABLE_STATS = MemoryLayout.structLayout(
            JAVA_INT.withName("type"));
    public static final long ENABLE_STATS_TYPE = offset(ENABLE_STATS, "type");

    /** BPF_PROG_TEST_RUN (the "test" struct). */
    public static final StructLayout TEST_RUN = MemoryLayout.structLayout(
            JAVA_INT.withName("prog_fd"),
            JAVA_INT.withName("retval"),
            JAVA_INT.withName("data_size_in"),
            JAVA_INT.withName("data_size_out"),
            JAVA_LONG.withName("data_in"),
            JAVA_LONG.withName("data_out"),
            JAVA_INT.withName("repeat"),
            JAVA_INT.withName("duration"),
            JAVA_INT.withName("ctx_size_in"),
            JAVA_INT.withName("ctx_size_out"),
            JAVA_LONG.withName("ctx_in"),
            JAVA_LONG.withName("ctx_out"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("cpu"),
            JAVA_INT.withName("batch_size"),
            MemoryLayout.paddingLayout(4));
    public static final long TEST_PROG_FD = offset(TEST_RUN, "prog_fd");
    public static final long TEST_RETVAL = offset(TEST_RUN, "retval");
    public static final long TEST_DATA_SIZE_IN = offset(TEST_RUN, "data_size_in");
    public static final long TEST_DATA_SIZE_OUT = offset(TEST_RUN, "data_size_out");
    public static final long TEST_CTX_SIZE_IN = offset(TEST_RUN, "ctx_size_in");
    public static final long TEST_CTX_IN = offset(TEST_RUN, "ctx_in");
    public static final long TEST_FLAGS = offset(TEST_RUN, "flags");
    public static final long TEST_DATA_IN = offset(TEST_RUN, "data_in");
    public static final long TEST_DATA_OUT = offset(TEST_RUN, "data_out");
    public static final long TEST_REPEAT = offset(TEST_RUN, "repeat");
    public static final long TEST_DURATION = offset(TEST_RUN, "duration");

    /** BPF_OBJ_GET_INFO_BY_FD (the "info" struct). */
    public static final StructLayout INFO = MemoryLayout.structLayout(
            JAVA_INT.withName("bpf_fd"),
            JAVA_INT.withName("info_len"),
            JAVA_LONG.withName("info"));
    public static final long INFO_FD = offset(INFO, "bpf_fd");
    public static final long INFO_LEN = offset(INFO, "info_len");
    public static final long INFO_PTR = offset(INFO, "info");

    /** struct bpf_map_info, as far as the loader reads it. */
    public static final StructLayout MAP_INFO = MemoryLayout.structLayout(
            JAVA_INT.withName("type"),
            JAVA_INT.withName("id"),
            JAVA_INT.withName("key_size"),
            JAVA_INT.withName("value_size"),
            JAVA_INT.withName("max_entries"),
            JAVA_INT.withName("map_flags"),
            MemoryLayout.sequenceLayout(16, java.lang.foreign.ValueLayout.JAVA_BYTE).withName("name"),
            JAVA_INT.withName("ifindex"),
            JAVA_INT.withName("btf_vmlinux_value_type_id"),
            JAVA_LONG.withName("netns_dev"),
            JAVA_LONG.withName("netns_ino"),
            JAVA_INT.withName("btf_id"),
            JAVA_INT.withName("btf_key_type_id"),
            JAVA_INT.withName("btf_value_type_id"),
            JAVA_INT.withName("btf_vmlinux_id"),
            JAVA_LONG.withName("map_extra"));

    /** struct bpf_prog_info, as far as the loader reads it (through btf_id). */
    public static final StructLayout PROG_INFO = MemoryLayout.structLayout(
            JAVA_INT.withName("type"),
            JAVA_INT.withName("id"),
            MemoryLayout.sequenceLayout(8, java.lang.foreign.ValueLayout.JAVA_BYTE).withName("tag"),
            JAVA_INT.withName("jited_prog_len"),
            JAVA_INT.withName("xlated_prog_len"),
            JAVA_LONG.withName("jited_prog_insns"),
            JAVA_LONG.withName("xlated_prog_insns"),
            JAVA_LONG.withName("load_time"),
            JAVA_INT.withName("created_by_uid"),
            JAVA_INT.withName("nr_map_ids"),
            JAVA_LONG.withName("map_ids"),
            MemoryLayout.sequenceLayout(16, java.lang.foreign.ValueLayout.JAVA_BYTE).withName("name"),
            JAVA_INT.withName("ifindex"),
            JAVA_INT.withName("gpl_compatible"),
            JAVA_LONG.withName("netns_dev"),
            JAVA_LONG.withName("netns_ino"),
            JAVA_INT.withName("nr_jited_ksyms"),
            JAVA_INT.withName("nr_jited_func_lens"),
            JAVA_LONG.withName("jited_ksyms"),
            JAVA_LONG.withName("jited_func_lens"),
            JAVA_INT.withName("btf_id"),
            JAVA_INT.withName("func_info_rec_size"),
            JAVA_LONG.withName("func_info"),
            JAVA_INT.withName("nr_func_info"),
            JAVA_INT.withName("nr_line_info"),
            JAVA_LONG.withName("line_info"),
            JAVA_LONG.withName("jited_line_info"),
            JAVA_INT.withName("nr_jited_line_info"),
            JAVA_INT.withName("line_info_rec_size"),
            JAVA_INT.withName("jited_line_info_rec_size"),
            JAVA_INT.withName("nr_prog_tags"),
            JAVA_LONG.withName("prog_tags"),
            JAVA_LONG.withName("run_time_ns"),
            JAVA_LONG.withName("run_cnt"),
            JAVA_LONG.withName("recursion_misses"),
            JAVA_INT.withName("verified_insns"),
            JAVA_INT.withName("attach_btf_obj_id"),
            JAVA_INT.withName("attach_btf_id"),
            MemoryLayout.paddingLayout(4));

    /** struct bpf_link_info: type, id, prog_id, then a union (its first u32s: ifindex or cgroup id). */
    public static final StructLayout LINK_INFO = MemoryLayout.structLayout(
            JAVA_INT.withName("type"),
            JAVA_INT.withName("id"),
            JAVA_INT.withName("prog_id"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("union0"),
            JAVA_LONG.withName("union1"),
            JAVA_LONG.withName("union2"),
            JAVA_LONG.withName("union3"));

    /** Byte offset of a named member of a layout. */
    public static long offset(StructLayout layout, String member) {
        return layout.byteOffset(groupElement(member));
    }
}
