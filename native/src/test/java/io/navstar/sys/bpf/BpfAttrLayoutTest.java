package io.navstar.sys.bpf;

import io.navstar.sys.Libc;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Java mirrors of {@code union bpf_attr} and the info structs must put every field where the kernel's uapi
 * header does. The offsets are compiled from the system's linux/bpf.h with the C compiler (offsetof), so a
 * mistake in a layout fails here; fields newer than the installed header are checked against the kernel source.
 */
class BpfAttrLayoutTest {

    /** Java offset by C expression {@code offsetof(union bpf_attr, ...)} or {@code offsetof(struct x, y)}. */
    private static Map<String, Long> javaOffsets() {
        Map<String, Long> offsets = new LinkedHashMap<>();
        offsets.put("offsetof(union bpf_attr, map_type)", BpfAttr.MAP_CREATE_TYPE);
        offsets.put("offsetof(union bpf_attr, max_entries)", BpfAttr.MAP_CREATE_MAX_ENTRIES);
        offsets.put("offsetof(union bpf_attr, inner_map_fd)", BpfAttr.MAP_CREATE_INNER_MAP_FD);
        offsets.put("offsetof(union bpf_attr, map_name)", BpfAttr.MAP_CREATE_NAME);
        offsets.put("offsetof(union bpf_attr, btf_fd)", BpfAttr.MAP_CREATE_BTF_FD);
        offsets.put("offsetof(union bpf_attr, btf_key_type_id)", BpfAttr.MAP_CREATE_BTF_KEY);
        offsets.put("offsetof(union bpf_attr, btf_value_type_id)", BpfAttr.MAP_CREATE_BTF_VALUE);
        offsets.put("offsetof(union bpf_attr, map_fd)", BpfAttr.ELEM_MAP_FD);
        offsets.put("offsetof(union bpf_attr, key)", BpfAttr.ELEM_KEY);
        offsets.put("offsetof(union bpf_attr, value)", BpfAttr.ELEM_VALUE);
        offsets.put("offsetof(union bpf_attr, flags)", BpfAttr.ELEM_FLAGS);
        offsets.put("offsetof(union bpf_attr, batch.in_batch)", BpfAttr.BATCH_IN);
        offsets.put("offsetof(union bpf_attr, batch.out_batch)", BpfAttr.BATCH_OUT);
        offsets.put("offsetof(union bpf_attr, batch.keys)", BpfAttr.BATCH_KEYS);
        offsets.put("offsetof(union bpf_attr, batch.values)", BpfAttr.BATCH_VALUES);
        offsets.put("offsetof(union bpf_attr, batch.count)", BpfAttr.BATCH_COUNT);
        offsets.put("offsetof(union bpf_attr, batch.map_fd)", BpfAttr.BATCH_MAP_FD);
        offsets.put("offsetof(union bpf_attr, batch.elem_flags)", BpfAttr.BATCH_ELEM_FLAGS);
        offsets.put("offsetof(union bpf_attr, prog_type)", BpfAttr.PROG_TYPE);
        offsets.put("offsetof(union bpf_attr, insns)", BpfAttr.PROG_INSNS);
        offsets.put("offsetof(union bpf_attr, license)", BpfAttr.PROG_LICENSE);
        offsets.put("offsetof(union bpf_attr, log_buf)", BpfAttr.PROG_LOG_BUF);
        offsets.put("offsetof(union bpf_attr, prog_name)", BpfAttr.PROG_NAME);
        offsets.put("offsetof(union bpf_attr, expected_attach_type)", BpfAttr.PROG_EXPECTED_ATTACH_TYPE);
        offsets.put("offsetof(union bpf_attr, prog_btf_fd)", BpfAttr.PROG_BTF_FD);
        offsets.put("offsetof(union bpf_attr, func_info)", BpfAttr.PROG_FUNC_INFO);
        offsets.put("offsetof(union bpf_attr, func_info_cnt)", BpfAttr.PROG_FUNC_INFO_CNT);
        offsets.put("offsetof(union bpf_attr, line_info)", BpfAttr.PROG_LINE_INFO);
        offsets.put("offsetof(union bpf_attr, line_info_cnt)", BpfAttr.PROG_LINE_INFO_CNT);
        offsets.put("offsetof(union bpf_attr, pathname)", BpfAttr.OBJ_PATHNAME);
        offsets.put("offsetof(union bpf_attr, bpf_fd)", BpfAttr.OBJ_BPF_FD);
        offsets.put("offsetof(union bpf_attr, file_flags)", BpfAttr.OBJ_FILE_FLAGS);
        offsets.put("offsetof(union bpf_attr, btf)", BpfAttr.BTF_DATA);
        offsets.put("offsetof(union bpf_attr, btf_log_buf)", BpfAttr.BTF_LOG_BUF);
        offsets.put("offsetof(union bpf_attr, btf_size)", BpfAttr.BTF_SIZE);
        offsets.put("offsetof(union bpf_attr, btf_log_level)", BpfAttr.BTF_LOG_LEVEL);
        offsets.put("offsetof(union bpf_attr, link_create.prog_fd)", BpfAttr.LINK_PROG_FD);
        offsets.put("offsetof(union bpf_attr, link_create.target_ifindex)", BpfAttr.LINK_TARGET);
        offsets.put("offsetof(union bpf_attr, link_create.attach_type)", BpfAttr.LINK_ATTACH_TYPE);
        offsets.put("offsetof(union bpf_attr, link_create.flags)", BpfAttr.LINK_FLAGS);
        offsets.put("offsetof(union bpf_attr, test.retval)", BpfAttr.TEST_RETVAL);
        offsets.put("offsetof(union bpf_attr, test.data_size_out)", BpfAttr.TEST_DATA_SIZE_OUT);
        offsets.put("offsetof(union bpf_attr, test.data_in)", BpfAttr.TEST_DATA_IN);
        offsets.put("offsetof(union bpf_attr, test.data_out)", BpfAttr.TEST_DATA_OUT);
        offsets.put("offsetof(union bpf_attr, test.repeat)", BpfAttr.TEST_REPEAT);
        offsets.put("offsetof(union bpf_attr, test.duration)", BpfAttr.TEST_DURATION);
        offsets.put("offsetof(union bpf_attr, info.info_len)", BpfAttr.INFO_LEN);
        offsets.put("offsetof(union bpf_attr, info.info)", BpfAttr.INFO_PTR);
        offsets.put("sizeof(struct bpf_map_info)", BpfAttr.MAP_INFO.byteSize());
        offsets.put("offsetof(struct bpf_map_info, btf_value_type_id)", BpfAttr.offset(BpfAttr.MAP_INFO, "btf_value_type_id"));
        offsets.put("offsetof(struct bpf_prog_info, name)", BpfAttr.offset(BpfAttr.PROG_INFO, "name"));
        offsets.put("offsetof(struct bpf_prog_info, btf_id)", BpfAttr.offset(BpfAttr.PROG_INFO, "btf_id"));
        offsets.put("offsetof(struct bpf_prog_info, run_time_ns)", BpfAttr.offset(BpfAttr.PROG_INFO, "run_time_ns"));
        offsets.put("offsetof(struct bpf_prog_info, run_cnt)", BpfAttr.offset(BpfAttr.PROG_INFO, "run_cnt"));
        offsets.put("sizeof(struct bpf_prog_info)", BpfAttr.PROG_INFO.byteSize());
        offsets.put("offsetof(union bpf_attr, start_id)", BpfAttr.GET_ID_START_ID);
        offsets.put("offsetof(union bpf_attr, prog_id)", BpfAttr.GET_ID_START_ID);
        offsets.put("offsetof(union bpf_attr, next_id)", BpfAttr.GET_ID_NEXT_ID);
        offsets.put("offsetof(union bpf_attr, open_flags)", BpfAttr.GET_ID_OPEN_FLAGS);
        offsets.put("offsetof(union bpf_attr, enable_stats.type)", BpfAttr.ENABLE_STATS_TYPE);
        offsets.put("offsetof(struct bpf_link_info, prog_id)", BpfAttr.offset(BpfAttr.LINK_INFO, "prog_id"));
        offsets.put("sizeof(struct epoll_event)", Libc.EPOLL_EVENT_SIZE);
        return offsets;
    }

    @Test
    void layoutsMatchTheUapiHeaderAsCompiled() throws Exception {
        Map<String, Long> expected = javaOffsets();
        Map<String, Long> compiled = compileOffsets(expected.keySet().toArray(String[]::new));
        assertEquals(expected, compiled);
    }

    @Test
    void fieldsNewerThanTheInstalledHeaderSitWhereKernel64PutsThem() {
        // include/uapi/linux/bpf.h since 6.4: __u32 log_true_size after core_relo_rec_size (offset 140);
        // since 6.6 the tcx members of link_create: relative_fd at 16, expected_revision at 24.
        assertEquals(140, BpfAttr.PROG_LOG_TRUE_SIZE);
        assertEquals(16, BpfAttr.offset(BpfAttr.LINK_CREATE, "relative_fd"));
        assertEquals(24, BpfAttr.offset(BpfAttr.LINK_CREATE, "expected_revision"));
    }

    private static Map<String, Long> compileOffsets(String[] expressions) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("bpfattr");
        try {
            StringBuilder c = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n#include <linux/bpf.h>\n"
                    + "#include <sys/epoll.h>\nint main(void) {\n");
            for (String expression : expressions) {
                c.append("  printf(\"%zu\\n\", (size_t) ").append(expression).append(");\n");
            }
            c.append("  return 0;\n}\n");
            Files.writeString(dir.resolve("offsets.c"), c);
            Process compile = new ProcessBuilder("cc", "-o", dir.resolve("offsets").toString(), dir.resolve("offsets.c").toString())
                    .redirectErrorStream(true).start();
            String errors = new String(compile.getInputStream().readAllBytes());
            assumeTrue(compile.waitFor(60, TimeUnit.SECONDS) && compile.exitValue() == 0, "no C compiler: " + errors);
            Process run = new ProcessBuilder(dir.resolve("offsets").toString()).start();
            String[] lines = new String(run.getInputStream().readAllBytes()).strip().split("\n");
            run.waitFor(10, TimeUnit.SECONDS);
            Map<String, Long> offsets = new LinkedHashMap<>();
            for (int i = 0; i < expressions.length; i++) {
                offsets.put(expressions[i], Long.parseLong(lines[i]));
            }
            return offsets;
        } finally {
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(dir);
        }
    }
}
