package io.navstar.agent;

import io.navstar.agent.cli.NavstarCommand;

import java.io.PrintWriter;

/**
 * The {@code navstar} executable: runs the command line ({@link NavstarCommand}) on the process's stdout and stderr
 * and exits with its code. {@code make run} is {@code navstar bpf tour}.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(NavstarCommand.execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }
}
