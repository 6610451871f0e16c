"""The supervisor's workspace: live dashboard, case browser, conflicts and review, sample
import. Online only: everything here talks to the server through ``SupervisorApi``."""
