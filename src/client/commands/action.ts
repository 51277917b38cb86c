import type { Command } from 'commander';
import type { CommandContext } from '../context';

/** A command's work: the context, then commander's arguments (positionals, then the command's options). */
export type Action = (context: CommandContext, ...args: never[]) => Promise<void>;

/** Attaches an action to a command, giving it a context built from the global options. */
export type Register = (command: Command, action: Action) => Command;
