package io.navstar.agent;

/** The navstar command line. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.out.println("navstar: the agent is not built yet");
    }
}
