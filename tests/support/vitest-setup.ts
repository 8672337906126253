import { Logger } from '@nestjs/common';

// Tests print only what goes wrong; a failing test's own assertions say the rest.
Logger.overrideLogger(['error', 'warn']);
