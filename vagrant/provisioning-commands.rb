# Prints the shell provisioning of every machine in vagrant/Vagrantfile, one line each, fields apart by the ASCII
# unit separator (0x1f): machine, provisioner, its environment (shell-quoted VAR=value words), its inline command.
# by loading the Vagrantfile against a stand-in of Vagrant's configuration DSL that records what it is given.
# validate-test.sh runs these commands, staged, so that a flag the Vagrantfile passes and packaging/provision-node.sh
# no longer takes fails make test. Plain Ruby, no Vagrant: nothing is started.
require "shellwords"

# Takes any setting or nested block; records the provisioners of the machine it stands for.
class RecordingConfig
  attr_reader :machines

  def initialize(machines = {}, name = nil)
    @machines = machines
    @name = name
  end

  def define(name, *)
    machine = RecordingConfig.new(@machines, name)
    @machines[name] = []
    yield machine if block_given?
  end

  def provision(name, type: nil, inline: nil, env: {}, **)
    (@machines[@name] ||= []) << [name, env, inline] if type == "shell" && inline
  end

  def method_missing(*)
    yield RecordingConfig.new(@machines, @name) if block_given?
    self
  end

  def respond_to_missing?(*)
    true
  end
end

module Vagrant
  RECORDER = RecordingConfig.new
  def self.configure(_version)
    yield RECORDER
  end
end

vagrantfile = ARGV.fetch(0)
Dir.chdir(File.dirname(vagrantfile)) { load File.basename(vagrantfile) }
Vagrant::RECORDER.machines.each do |machine, provisioners|
  provisioners.each do |name, env, inline|
    vars = env.map { |k, v| "#{k}=#{v}".shellescape }.join(" ")
    puts [machine, name, vars, inline].join("\x1f")
  end
end
