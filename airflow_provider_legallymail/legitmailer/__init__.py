"""The work behind the Legitmailer operators: template batches, contact-list sync, single and delayed sends."""
