"""Operations that combine the store and the renderer (exports of records,
reports and assessment files). ``from aipm_workbench.services import records``."""
