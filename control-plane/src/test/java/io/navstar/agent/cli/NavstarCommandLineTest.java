package io.navstar.agent.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command tree without an agent: {@code --help} on every command and subcommand (exit code 0, the usage on
 * stdout), bad usage (exit code 2, one line naming what is wrong, then the usage, on stderr), the completion script
 * and the version.
 */
class NavstarCommandLineTest {

    private record Result(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private static Result navstar(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = NavstarCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void everyCommandAndSubcommandTakesHelpAndExitsZero() {
        List<List<String>> commands = new ArrayList<>();
        collect(NavstarCommand.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())),
                List.of(), commands);
        assertTrue(commands.containsAll(List.of(List.of("agent"), List.of("vip", "add"), List.of("task", "rm"),
                List.of("members"), List.of("route"), List.of("kv", "watch"), List.of("dns", "query"),
                List.of("bpf", "maps"), List.of("bpf", "uninstall"), List.of("bpf", "tour"), List.of("bpf", "lb"),
                List.of("completion"))), commands.toString());
        for (List<String> command : commands) {
            List<String> args = new ArrayList<>(command);
            args.add("--help");
            Result result = navstar(args.toArray(String[]::new));
            assertEquals(0, result.code(), args + ": " + result);
            String name = String.join(" ", List.of("navstar", String.join(" ", command))).strip();
            assertTrue(result.out().startsWith("Usage: " + name + " "), args + ": " + result);
            assertEquals("", result.err(), args + ": " + result);
        }
    }

    /** Every command's path below the top: [], [vip], [vip, ls], ... */
    private static void collect(CommandLine command, List<String> path, List<List<String>> into) {
        into.add(path);
        command.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                List<String> child = new ArrayList<>(path);
                child.add(name);
                collect(sub, child, into);
            }
        });
    }

    @Test
    void badUsageIsOneLineNamingWhatIsWrongThenTheUsageExitTwo() {
        String[][] cases = {
                // args..., the one line expected
                {"navstar: missing a command"},
                {"vip", "navstar vip: missing a command"},
                {"nope", "navstar: unexpected argument nope"},
                {"vip", "ls", "--bogus", "navstar vip ls: unknown option --bogus"},
                {"vip", "ls", "-o", "yaml", "navstar vip ls: --output: expected table or json, got \"yaml\""},
                {"vip", "ls", "--api", "ftp://x", "navstar vip ls: --api: expected http://HOST:PORT, got \"ftp://x\""},
                {"vip", "add", "/web:80", "navstar vip add: missing required option: '--backend=IP:PORT'"},
                {"vip", "add", "/web:80", "--backend", "10.0.1.2", "navstar vip add: --backend: endpoint '10.0.1.2': "
                        + "expected ip:port (IPv6 as [ip]:port)"},
                {"vip", "add", "web:80", "--backend", "10.0.1.2:80", "navstar vip add: VIP: expected /name:port or "
                        + "address:port, got web:80"},
                {"vip", "rm", "/web:80", "--backend", "10.0.1.2:80", "--protocol", "sctp",
                        "navstar vip rm: --protocol: expected tcp or udp, got \"sctp\""},
                {"task", "rm", "navstar task rm: missing required parameter: 'ID'"},
                {"kv", "get", "navstar kv get: missing required parameter: 'KEY'"},
                {"kv", "put", "a", "navstar kv put: nothing to write: give operations (--pncounter, --orswot-add, "
                        + "--assign, ...) or --ops FILE"},
                {"kv", "put", "a", "--pncounter", "hits", "navstar kv put: --pncounter: expected FIELD=VALUE, got \"hits\""},
                {"kv", "put", "a", "--orswot-add", "navstar kv put: --orswot-add needs a value"},
                {"kv", "put", "a", "--assign", "x=1", "--if-clock", "[1]",
                        "navstar kv put: --if-clock: expected an object of replica to counter"},
                {"kv", "watch", "a", "--interval", "1", "navstar kv watch: --interval: expected 10 to 3600000 "
                        + "milliseconds, got 1"},
                {"kv", "watch", "a", "--count", "x", "navstar kv watch: --count: 'x' is not an int"},
                {"dns", "query", "navstar dns query: missing required parameter: 'NAME'"},
                {"dns", "query", "x", "--type", "QQ", "navstar dns query: --type: expected a record type such as A, "
                        + "AAAA, SRV or PTR, got \"QQ\""},
                {"dns", "query", "x", "--server", "localhost", "navstar dns query: --server: expected IP or IP:PORT "
                        + "([IPv6]:PORT), got \"localhost\""},
                {"bpf", "navstar bpf: missing a command"},
                {"bpf", "maps", "--limit", "-1", "navstar bpf maps: --limit: expected 0 or more, got -1"},
                {"bpf", "lb", "--mode", "tc", "--bogus", "1", "navstar bpf lb: unknown option --bogus"},
                {"agent", "--log-level", "loud", "navstar agent: --log-level: expected one of trace, debug, info, warn, "
                        + "error, off, got \"loud\""},
                {"completion", "fish", "navstar completion: SHELL: expected bash or zsh, got \"fish\""},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOf(c, c.length - 1);
            String expected = c[c.length - 1];
            Result result = navstar(args);
            assertEquals(2, result.code(), List.of(args) + ": " + result);
            List<String> lines = result.errLines();
            assertEquals(expected, lines.getFirst(), List.of(args) + ": " + result);
            assertTrue(lines.size() > 1 && lines.get(1).startsWith("Usage: navstar"), List.of(args) + ": " + result);
            assertFalse(result.err().contains("Exception") || result.err().contains("\tat "), result.toString());
            assertEquals("", result.out(), List.of(args) + ": " + result);
        }
    }

    @Test
    void dnsPassesItsFlagsToTheStandaloneServer() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = navstar("dns", "--loops", "0").code();
        } finally {
            System.setErr(err);
        }
        assertEquals(2, code, captured.toString(StandardCharsets.UTF_8));
        assertTrue(captured.toString(StandardCharsets.UTF_8).startsWith("--loops: expected a whole number 1-1024"),
                captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aCommandThatRunsShowsItsSynopsisAndWhereToLookAGroupItsCommands() {
        Result leaf = navstar("vip", "add");
        assertEquals(List.of("Usage: navstar vip add [-hV] [--api=URL] --backend=IP:PORT [--framework=NAME]",
                "                       [-o=table|json] [--protocol=tcp|udp] VIP",
                "Try 'navstar vip add --help' for more information."), leaf.errLines().subList(1, leaf.errLines().size()));
        Result group = navstar("kv");
        assertTrue(group.err().contains("Commands:\n  get ") && group.err().contains("\n  watch "), group.toString());
    }

    @Test
    void completionBashPrintsPicocliScriptForTheWholeTree() {
        Result result = navstar("completion", "bash");
        assertEquals(0, result.code(), result.toString());
        assertTrue(result.out().contains("complete -F _complete_navstar"), result.out());
        for (String word : List.of("vip", "members", "uninstall", "--log-level", "--pncounter")) {
            assertTrue(result.out().contains(word), word);
        }
    }

    @Test
    void versionNamesNavstar() {
        Result result = navstar("--version");
        assertEquals(0, result.code(), result.toString());
        assertTrue(result.out().startsWith("navstar "), result.out());
    }
}
